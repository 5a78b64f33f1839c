// Package atomicfile writes files so that a reader, or the same program after
// a crash, sees either the old content or the new content of a file, never a
// mixture: the data goes to a temporary file in the same directory, the file
// is synced, renamed over the target, and the directory is synced.
//
// Every file-system call goes through the [FS] interface, so tests can swap
// in [FaultFS] and fail at a chosen write, sync, close or rename to show that
// the caller's data stays consistent whatever step fails.
package atomicfile
