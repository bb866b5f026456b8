package iso

import (
	"bytes"
	"fmt"
	"os"
	"slices"

	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"dagger/canvos/usererr"
)

// ISO paths of the stylus agent on UKI ISOs: CanvOS' +build-uki-iso copies
// +stylus-image-pack's stylus-image.tar and luet to the ISO root, and
// 80_stylus_uki.yaml copies both from /run/initramfs/live to the encrypted
// OEM partition after install, where every boot unpacks the agent.
const (
	isoStylusImage = "stylus-image.tar"
	isoLuet        = "luet"
)

// StylusFiles are the agent files of a UKI ISO; both or neither.
type StylusFiles struct {
	Image string // stylus-image.tar (canvos stylus-image, CanvOS luet util pack) → /stylus-image.tar
	Luet  string // the luet binary (SPECTRO_THIRD_PARTY_IMAGE) → /luet, mode 0755
}

// check validates the agent files against the overlay's files (which may
// carry them instead, the way before these flags); none at all is allowed
// but leaves the installed node without its agent, so it is reported.
func (s StylusFiles) check(overlay []string, printf func(string, ...any)) error {
	inOverlay := slices.Contains(overlay, isoStylusImage) || slices.Contains(overlay, isoLuet)
	switch {
	case inOverlay && (s.Image != "" || s.Luet != ""):
		return usererr.New("--overlay", isoStylusImage+", "+isoLuet, "left out of the overlay when --stylus-image/--luet give them")
	case s.Image == "" && s.Luet == "":
		if !inOverlay {
			printf("warning: no --stylus-image/--luet: nodes installed from this ISO get no stylus agent (CanvOS ships both on every UKI ISO)")
		}
		return nil
	case s.Image == "" || s.Luet == "":
		return usererr.New("--stylus-image/--luet", s.Image+s.Luet, "both: 80_stylus_uki.yaml needs luet to unpack stylus-image.tar")
	}
	if _, err := tarball.ImageFromPath(s.Image, nil); err != nil {
		return usererr.Newf("--stylus-image", "%s: not an image tarball (canvos stylus-image, luet util pack): %v", s.Image, err)
	}
	b, err := os.ReadFile(s.Luet)
	if err != nil {
		return usererr.Newf("--luet", "%v", err)
	}
	if !bytes.HasPrefix(b, []byte("\x7fELF")) {
		return usererr.New("--luet", s.Luet, "the luet executable (an ELF binary)")
	}
	return nil
}

// stage copies the agent files onto the ISO root (a copy, not a link: luet
// is made executable there).
func (st stager) stylus(s StylusFiles) error {
	for _, f := range []struct {
		src, dst string
		mode     os.FileMode
	}{{s.Image, isoStylusImage, 0o644}, {s.Luet, isoLuet, 0o755}} {
		if f.src == "" {
			continue
		}
		dst, err := st.path(f.dst)
		if err != nil {
			return err
		}
		if err := copyRange(f.src, dst, 0, -1); err != nil {
			return fmt.Errorf("%s: %w", f.dst, err)
		}
		if err := os.Chmod(dst, f.mode); err != nil {
			return err
		}
	}
	return nil
}
