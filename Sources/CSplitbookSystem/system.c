#define _GNU_SOURCE
#include "splitbook_system.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

ssize_t splitbook_copy_file_range(int fd_in, int fd_out, size_t length) {
    return copy_file_range(fd_in, NULL, fd_out, NULL, length, 0);
}

int splitbook_clone(int fd_out, int fd_in) {
    return ioctl(fd_out, FICLONE, fd_in);
}

int splitbook_start_writeback(int fd) {
    return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

int splitbook_exchange(const char *a, const char *b) {
    return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

int splitbook_pipe(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

/* splitbook_spawn. Everything between _Fork() and execve() or _exit() runs in
   a copy of a multi-threaded process, so it makes async-signal-safe calls
   only (no malloc, no stdio, no locks).

   The supervisor tells the caller through a pipe whether the program started:
   one `struct spawn_report`, with step RUNNING or the step that failed. It
   keeps its end of that pipe open until it exits, so the caller's end also
   reports the supervisor's exit (end of file), which poll(2) can wait for. */

#define RUNNING (-1)
/* Sent by the kernel when the thread that forked the supervisor exits. */
#define DEATH_SIGNAL SIGUSR1

struct spawn_report {
    int step;
    int error;
};

/* The caller's pid, in the supervisor's own copy of memory. */
static pid_t supervised_for;

static void send_report(int fd, int step, int error) {
    struct spawn_report report = {step, error};
    ssize_t n;
    do n = write(fd, &report, sizeof report);
    while (n < 0 && errno == EINTR);
}

static int read_report(int fd, struct spawn_report *report) {
    ssize_t n;
    do n = read(fd, report, sizeof *report);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof *report;
}

static void set_disposition(int sig, void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    sigaction(sig, &action, NULL);
}

/* The supervisor's handler for the death signal and for the signals a run
   sends to a cell's group. The death signal also comes when only the forking
   thread exits (the supervisor is then adopted by another thread of the same
   process, and getppid() does not change): the group dies only when the
   caller's process is gone. */
static void on_signal(int sig) {
    (void)sig;
    int saved = errno;
    if (getppid() != supervised_for) kill(0, SIGKILL);
    errno = saved;
}

static void close_from(int lowest) {
    if (close_range((unsigned)lowest, ~0U, 0) == 0) return;
    /* Linux before 5.9 has no close_range. */
    struct rlimit limit;
    int highest = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY ? (int)limit.rlim_cur : 1 << 16;
    for (int fd = lowest; fd < highest; fd++) close(fd);
}

static _Noreturn void run_program(pid_t supervisor, int report, const char *path, char *const argv[], char *const envp[],
                                  const char *cwd) {
    /* If the supervisor is killed, so is the program. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != supervisor) _exit(127);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) set_disposition(sig, SIG_DFL);
    }
    if (cwd && chdir(cwd) != 0) {
        send_report(report, SPLITBOOK_SPAWN_CHDIR, errno);
        _exit(127);
    }
    execve(path, argv, envp);
    send_report(report, SPLITBOOK_SPAWN_EXEC, errno);
    _exit(127);
}

static _Noreturn void supervise(pid_t caller, int report, const char *path, char *const argv[], char *const envp[],
                                const char *cwd, int stdin_fd, int stdout_fd, int stderr_fd) {
    supervised_for = caller;
    setpgid(0, 0);
    const int caught[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, DEATH_SIGNAL};
    for (size_t i = 0; i < sizeof caught / sizeof *caught; i++) set_disposition(caught[i], on_signal);
    set_disposition(SIGCHLD, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, DEATH_SIGNAL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (getppid() != caller) kill(0, SIGKILL); /* the caller died before prctl took effect */

    /* The program's stdio on 0-2, the report pipe on 3, nothing else open: the
       supervisor never execs, so close-on-exec would not close the caller's
       other descriptors (pipes to other cells, sockets) in it. */
    int fds[4] = {stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY | O_CLOEXEC), stdout_fd, stderr_fd, report};
    for (int i = 0; i < 4; i++) {
        if (fds[i] < 0 || (fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 4)) < 0) {
            send_report(report, SPLITBOOK_SPAWN_PREPARE, errno);
            _exit(127);
        }
    }
    for (int i = 0; i < 4; i++) dup2(fds[i], i);
    fcntl(3, F_SETFD, FD_CLOEXEC);
    close_from(4);

    int inner[2];
    pid_t self = getpid(), program = -1;
    /* vfork: the supervisor is single-threaded, and the program's side only
       makes system calls on its own stack before execve or _exit (as
       posix_spawn does), so it need not copy the supervisor's copy of the
       caller's memory: one page-table copy and its faults less per process. */
    if (pipe2(inner, O_CLOEXEC) == 0) program = vfork();
    if (program == 0) run_program(self, inner[1], path, argv, envp, cwd);
    if (program < 0) {
        send_report(3, SPLITBOOK_SPAWN_PREPARE, errno);
        _exit(127);
    }
    close(inner[1]);
    close(0);
    close(1);
    close(2);
    struct spawn_report failure;
    int failed = read_report(inner[0], &failure);
    close(inner[0]);
    if (failed) send_report(3, failure.step, failure.error);
    else send_report(3, RUNNING, 0);

    int status;
    while (waitpid(program, &status, 0) < 0) {
        if (errno != EINTR) _exit(127);
    }
    if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
    /* Die of the same signal, without dumping this copy of the caller's memory. */
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    set_disposition(WTERMSIG(status), SIG_DFL);
    kill(getpid(), WTERMSIG(status));
    _exit(128 + WTERMSIG(status));
}

pid_t splitbook_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                      int stdin_fd, int stdout_fd, int stderr_fd, int *exit_fd, int *failed_step) {
    int report[2];
    *failed_step = SPLITBOOK_SPAWN_PREPARE;
    if (pipe2(report, O_CLOEXEC) != 0) return -1;
    pid_t caller = getpid();
    pid_t pid = _Fork();
    if (pid == 0) supervise(caller, report[1], path, argv, envp, cwd, stdin_fd, stdout_fd, stderr_fd);
    int saved = errno;
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        errno = saved;
        return -1;
    }
    struct spawn_report outcome;
    int reported = read_report(report[0], &outcome);
    if (reported && outcome.step == RUNNING) {
        if (exit_fd) *exit_fd = report[0];
        else close(report[0]);
        return pid;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    close(report[0]);
    if (!reported) outcome = (struct spawn_report){SPLITBOOK_SPAWN_PREPARE, ECHILD}; /* it died before it could say */
    *failed_step = outcome.step;
    errno = outcome.error;
    return -1;
}

int splitbook_await_exit(pid_t pid, int block) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int rc;
    do rc = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT | (block ? 0 : WNOHANG));
    while (rc < 0 && errno == EINTR);
    if (rc < 0) return -1;
    return info.si_pid == pid;
}
