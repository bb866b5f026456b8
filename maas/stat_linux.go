package maas

import (
	"io/fs"
	"syscall"
)

// owner returns the uid, gid and inode number behind info (zero where the
// platform does not say).
func owner(info fs.FileInfo) (uid, gid uint32, ino uint64) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, 0
	}
	return st.Uid, st.Gid, st.Ino
}
