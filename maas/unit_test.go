package maas

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/run"
	"dagger/canvos/testutil"
)

func TestGrubenvRoundTrip(t *testing.T) {
	t.Parallel()
	env := grubenv{"next_entry": "recovery", "saved_entry": `a\b`}
	b, err := env.bytes()
	require.NoError(t, err)
	require.Len(t, b, grubenvSize)
	require.True(t, bytes.HasPrefix(b, []byte("# GRUB Environment Block\nnext_entry=recovery\nsaved_entry=a\\\\b\n#")))
	back, err := parseGrubenv(b)
	require.NoError(t, err)
	require.Equal(t, env, back)
}

func TestGrubenvErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		env grubenv
		raw []byte
	}{
		"too big":       {env: grubenv{"x": string(bytes.Repeat([]byte("y"), grubenvSize))}},
		"newline value": {env: grubenv{"x": "a\nb"}},
		"no header":     {raw: []byte("next_entry=x\n")},
		"no equals":     {raw: []byte(grubenvHeader + "junk\n")},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var err error
			if tc.raw != nil {
				_, err = parseGrubenv(tc.raw)
			} else {
				_, err = tc.env.bytes()
			}
			require.Error(t, err)
		})
	}
}

func TestSeedIdentifiers(t *testing.T) {
	t.Parallel()
	a, b := newSeed([]byte("ab"), []byte("c")), newSeed([]byte("a"), []byte("bc"))
	require.NotEqual(t, a, b, "part boundaries must be hashed")
	require.Equal(t, a.guid("disk"), newSeed([]byte("ab"), []byte("c")).guid("disk"))
	require.NotEqual(t, a.guid("disk"), a.guid("partition efi"))
	g := a.guid("disk")
	require.Equal(t, 8, int(g.Version()))
	require.Equal(t, "RFC4122", g.Variant().String())
}

func TestPlan(t *testing.T) {
	t.Parallel()
	l := plan(part{name: "a", size: 64 * mib}, part{name: "b", size: 3 * mib})
	require.Equal(t, firstOffset, l.find("a").offset)
	require.Equal(t, firstOffset+64*mib, l.find("b").offset)
	require.Equal(t, firstOffset+67*mib+tailReserve, l.size)
	require.Equal(t, 2*mib, roundMiB(mib+1))
}

func TestCommands(t *testing.T) {
	t.Parallel()
	s := newSeed([]byte("x"))
	p := placed{part: part{name: "oem", size: 64 * mib}, offset: 65 * mib}
	ext := mkfsExt(extFS{typ: "ext2", label: "COS_OEM", src: "/stage"}, "/d.raw", p, s, 1700000000)
	require.Equal(t, "mke2fs", ext.Name)
	require.Equal(t, []string{"-q", "-F", "-t", "ext2", "-L", "COS_OEM", "-U", s.guid("fs oem").String(),
		"-E", "offset=68157440,root_owner=0:0,hash_seed=" + s.guid("hash seed oem").String() + ",nodiscard",
		"-d", "/stage", "/d.raw", "65536k"}, ext.Args)
	require.Equal(t, []string{"E2FSPROGS_FAKE_TIME=1700000000"}, ext.Env)

	fat := mkfsFAT("COS_GRUB", "/d.raw", placed{part: part{name: "efi", size: 64 * mib}, offset: mib}, s, 1700000000)
	require.Equal(t, "mkfs.fat", fat.Name)
	require.Contains(t, fat.Args, "--invariant")
	require.Equal(t, []string{"--offset", "2048", "/d.raw", "65536"}, fat.Args[len(fat.Args)-4:])

	mc := mcopy("/d.raw", placed{offset: mib}, []string{"/s/EFI"}, 1700000000)
	require.Equal(t, []string{"-s", "-Q", "-i", "/d.raw@@1048576", "/s/EFI", "::/"}, mc.Args)
	require.Contains(t, mc.Env, "SOURCE_DATE_EPOCH=1700000000")

	sq := mksquashfs("/root", "/out.sqfs", 1700000000)
	require.Equal(t, []string{"/root", "/out.sqfs", "-comp", "zstd", "-Xcompression-level", "3", "-noappend", "-no-progress", "-quiet"}, sq.Args)
	require.Equal(t, []string{"SOURCE_DATE_EPOCH=1700000000"}, sq.Env)

	require.Equal(t, "/d.raw?offset=68157440", extDevice("/d.raw", p))
}

func TestStampTimes(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "mke2fs", "debugfs")
	stage := t.TempDir()
	old := time.Unix(testEpoch-86400, 0)
	put(t, stage, `dir/a "quoted" name`, []byte("new"), 0o644)
	put(t, stage, "dir/old", []byte("old"), 0o644)
	require.NoError(t, os.Chtimes(filepath.Join(stage, "dir/old"), old, old))
	img := filepath.Join(t.TempDir(), "fs.img")
	require.NoError(t, os.WriteFile(img, nil, 0o600))
	p := placed{part: part{name: "test", size: 8 * mib}}
	fs := extFS{typ: "ext4", label: "T", src: stage}
	require.NoError(t, makeExt(context.Background(), run.Run, t.TempDir(), fs, img, p, seed{}, testEpoch))

	want := func(mtime int64) map[string]int64 {
		return map[string]int64{"atime": testEpoch, "ctime": testEpoch, "crtime": testEpoch, "mtime": mtime}
	}
	for name, w := range map[string]map[string]int64{
		"/":                    want(testEpoch),
		"/dir":                 want(testEpoch),
		`/dir/a "quoted" name`: want(testEpoch),
		"/dir/old":             want(old.Unix()),
	} {
		q, err := debugfsQuote(name)
		require.NoError(t, err)
		require.Equal(t, w, inodeTimes(t, debugfsOut(t, img, "stat "+q)), name)
	}
	_, err := debugfsQuote("a\nb")
	require.ErrorContains(t, err, "line break")
}

// inodeTimes reads the four times of a debugfs stat ("atime: 0x…:… -- …").
func inodeTimes(t *testing.T, stat string) map[string]int64 {
	t.Helper()
	times := map[string]int64{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(\w+): 0x([0-9a-f]{8}):([0-9a-f]{8})`).FindAllStringSubmatch(stat, -1) {
		sec, err := strconv.ParseInt(m[2], 16, 64)
		require.NoError(t, err)
		require.Equal(t, "00000000", m[3], "%s: no sub-second part", m[1])
		times[m[1]] = sec
	}
	return times
}
