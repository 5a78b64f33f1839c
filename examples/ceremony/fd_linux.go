package main

import "syscall"

// runtimeFD reports whether fd is a file on a kernel pseudo file system
// (sysfs, cgroup, proc). The Go runtime keeps the cgroup CPU limit files
// open on descriptors such as 3 and 4, and no PIN lives there.
func runtimeFD(fd int) bool {
	var fs syscall.Statfs_t
	if err := syscall.Fstatfs(fd, &fs); err != nil {
		return true
	}
	switch fs.Type {
	case 0x62656572, // SYSFS_MAGIC
		0x27e0eb,   // CGROUP_SUPER_MAGIC
		0x63677270, // CGROUP2_SUPER_MAGIC
		0x9fa0:     // PROC_SUPER_MAGIC
		return true
	}
	return false
}
