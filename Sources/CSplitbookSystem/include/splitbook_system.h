#ifndef SPLITBOOK_SYSTEM_H
#define SPLITBOOK_SYSTEM_H

#include <sys/types.h>

/// copy_file_range(2) without offsets (a GNU extension Swift's Glibc module hides).
/// Returns bytes copied, 0 at end of input, -1 with errno set.
ssize_t splitbook_copy_file_range(int fd_in, int fd_out, size_t length);

/// Atomically swaps two paths (renameat2 with RENAME_EXCHANGE); both must exist.
/// Returns 0, or -1 with errno set (EINVAL where the file system cannot).
int splitbook_exchange(const char *a, const char *b);

/// Starts `argv` in a new process group (its own leader) with `cwd` as its
/// working directory, stdin from /dev/null and stdout/stderr to the given
/// descriptors. Returns the pid, or -1 with errno set.
pid_t splitbook_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                      int stdout_fd, int stderr_fd);

#endif
