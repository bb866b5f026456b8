package main

import (
	"os"
	"strconv"

	"dagger/canvos/rootfs"
	"dagger/canvos/usererr"
)

// fatEpoch is 1980-01-01, the earliest time FAT can record.
const fatEpoch = 315532800

// sourceDateEpoch is SOURCE_DATE_EPOCH, or else the mtime of the os-release
// of the rootfs dir (its links resolved inside it): a time that belongs to
// the input, so rebuilding the same rootfs gives the same disk.
func sourceDateEpoch(dir string) (int64, error) {
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < fatEpoch {
			return 0, usererr.New("SOURCE_DATE_EPOCH", v, "seconds since 1970, from 1980 on (FAT time stamps start in 1980)")
		}
		return n, nil
	}
	t, err := rootfs.Open(dir)
	if err != nil {
		return fatEpoch, nil // not a tree (a cloud image file, /dev/null): no os-release
	}
	defer t.Close()
	for _, p := range rootfs.OSRelease {
		if fi, err := t.Stat(p); err == nil {
			return max(fi.ModTime().Unix(), fatEpoch), nil
		}
	}
	return fatEpoch, nil
}
