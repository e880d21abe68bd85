#ifndef SPLITBOOK_SYSTEM_H
#define SPLITBOOK_SYSTEM_H

#include <sys/types.h>

/// copy_file_range(2) without offsets (a GNU extension Swift's Glibc module hides).
/// Returns bytes copied, 0 at end of input, -1 with errno set.
ssize_t splitbook_copy_file_range(int fd_in, int fd_out, size_t length);

/// Makes `fd_out` share all of `fd_in`'s blocks (the FICLONE ioctl: a
/// reflink on XFS and btrfs, copy-on-write). Returns 0, or -1 with errno set
/// (EOPNOTSUPP, EXDEV or EINVAL where the file system cannot).
int splitbook_clone(int fd_out, int fd_in);

/// Starts writing a file's dirty pages to disk and returns at once
/// (sync_file_range with SYNC_FILE_RANGE_WRITE). Returns 0 or -1 with errno.
int splitbook_start_writeback(int fd);

/// Atomically swaps two paths (renameat2 with RENAME_EXCHANGE); both must exist.
/// Returns 0, or -1 with errno set (EINVAL where the file system cannot).
int splitbook_exchange(const char *a, const char *b);

/// pipe2(2) with O_CLOEXEC (a GNU extension Swift's Glibc module hides).
int splitbook_pipe(int fds[2]);

/// What `splitbook_spawn` could not do, when it returns -1.
enum splitbook_spawn_step {
    SPLITBOOK_SPAWN_PREPARE = 0,  ///< pipe, fork or descriptor set-up
    SPLITBOOK_SPAWN_CHDIR = 1,    ///< entering `cwd`
    SPLITBOOK_SPAWN_EXEC = 2,     ///< executing `path`
};

/// Starts `argv` (`path` must contain a slash: no PATH search) under a
/// supervisor, and returns the supervisor's pid once `path` is executing.
///
/// The supervisor is a fork of the caller that leads a new process group, runs
/// the program in that group (stdin from `stdin_fd`, or /dev/null when it is
/// -1; stdout and stderr to the given descriptors; working directory `cwd`;
/// default signal dispositions and an empty mask; no other descriptor open),
/// waits for it and exits as it did: with its status, or killed by the same
/// signal. Its one other job: when the caller's process dies, for any reason
/// including SIGKILL, it kills the whole group. SIGINT, SIGTERM, SIGHUP and
/// SIGQUIT sent to the group reach the program but not the supervisor, which
/// stays to report how the program ended. If the supervisor itself is killed,
/// the program is killed too.
///
/// With `exit_fd`, `*exit_fd` receives a close-on-exec descriptor that reaches
/// end of file when the supervisor exits (poll(2) can wait for it); the caller
/// closes it. Returns -1 with errno set and `*failed_step` saying what failed.
pid_t splitbook_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                      int stdin_fd, int stdout_fd, int stderr_fd, int *exit_fd, int *failed_step);

/// Waits until `pid` (a child) has exited, without reaping it, so that its pid
/// and process-group id cannot be reused meanwhile. With `block` 0, only looks.
/// Returns 1 when it has exited, 0 when it is still running (non-blocking only),
/// -1 with errno set.
int splitbook_await_exit(pid_t pid, int block);

#endif
