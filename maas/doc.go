// Package maas builds the Kairos raw disk (CanvOS +kairos-raw-image) and the
// MAAS composite disk (CanvOS ./earthly.sh +maas-image) from files: the GPT is
// written with go-diskfs, every file system is created by mkfs.* / mcopy /
// debugfs directly at its offset inside a sparse disk file, and partitions taken
// from the Kairos raw disk are copied by byte range with their holes kept. No
// loop device, mount, privilege or download is involved.
//
// Same inputs and epoch give the same bytes: partition, disk and file-system
// identifiers are hashed from the inputs and every tool gets the epoch.
package maas
