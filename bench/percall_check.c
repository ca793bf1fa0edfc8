/*
 * percall_check.c - mode check (make bench-check): no allocation, lock or
 * system call per success-path call, each probe in a forked child with
 * libcount.so counting and a seccomp filter trapping system calls.
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "bench/cbs.h"
#include "bench/count.h"
#include "bench/percall.h"


struct shared {
    unsigned long sys;
    long last_nr;
    struct bench_count cnt;
    unsigned long accessors;
    int done;
};
static struct shared *sh;

static void on_sigsys(int sig, siginfo_t *si, void *uc_)
{
    (void)sig;
    ucontext_t *uc = uc_;
    sh->sys++;
    sh->last_nr = si->si_syscall;
    uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS; /* skipped: we only count */
}

/* From here on every system call of this thread but rt_sigreturn and exit is
 * trapped (SIGSYS), counted and skipped. */
static int trap_syscalls(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigreturn, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    if (sigaction(SIGSYS, &sa, NULL) != 0)
        return -1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

enum probe { P_CANARY, P_SUCCESS, P_SUCCESS_TRACKED, P_LATER };

/* In a child: run one probe with everything counted, results in *sh. */
static int probe(enum probe p, long calls, struct bench_count *cnt)
{
    memset(sh, 0, sizeof *sh);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork failed");
    if (pid == 0) {
        unsigned long acc = 0;
        /* warm up outside the window: lazy binding, first-use set-up */
        loop_fn = p == P_LATER ? fn_later : fn_ok;
        loop(p == P_LATER ? cons_later : cons_ok, &msg_one, 0, 1000);
        if (p == P_LATER)
            reset_ring(cons_later, fn_later);
        if (p == P_SUCCESS_TRACKED) { /* one other message failing, tracked */
            loop_fn = fn_later;
            loop(cons_later, &ring[0], 0, 1);
        }
        loop_fn = p == P_LATER ? fn_later : fn_ok;
        /* Room on the heap first, so that a path that allocates is counted,
         * not starved: with brk trapped, malloc would fail (or worse). */
        mallopt(M_TOP_PAD, 64 << 20);
        mallopt(M_TRIM_THRESHOLD, 256 << 20);
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        void *volatile room = malloc(16 << 20);
        free(room);
        unsigned long acc0 = fake_accessor_calls();
        if (trap_syscalls() != 0)
            syscall(SYS_exit_group, 3);
        __atomic_store_n(&cnt->on, 1, __ATOMIC_SEQ_CST);
        if (p == P_CANARY) {
            for (long i = 0; i < calls; i++) { /* one of each per iteration */
                void *q = malloc(16 + (size_t)(i & 7));
                acc += (uintptr_t)q;
                free(q);
                pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
                pthread_mutex_lock(&mu);
                pthread_mutex_unlock(&mu);
                acc += (unsigned long)syscall(SYS_getppid);
            }
        } else if (p == P_LATER) {
            acc += loop(cons_later, ring, RING - 1, calls);
        } else {
            acc += loop(cons_ok, &msg_one, 0, calls);
        }
        __atomic_store_n(&cnt->on, 0, __ATOMIC_SEQ_CST);
        sh->cnt = *cnt;
        sh->accessors = fake_accessor_calls() - acc0;
        sh->done = 1;
        bench_sink += acc;
        syscall(SYS_exit_group, 0);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || !sh->done) {
        fprintf(stderr, "percall: probe %d: %s %d, %lu system calls trapped (last nr %ld)\n", (int)p,
                WIFSIGNALED(st) ? "signal" : "exit status", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
                sh->sys, sh->last_nr);
        return -1;
    }
    return 0;
}

int mode_check(long calls)
{
    bench_count_state_fn get = (bench_count_state_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "bench_count_state");
    if (!get) {
        printf("check\tFAIL\tlibcount.so is not preloaded\n");
        return 1;
    }
    if (!shim_loaded) {
        printf("check\tFAIL\tthe shim is not preloaded (the callbacks were not wrapped)\n");
        return 1;
    }
    struct bench_count *cnt = get();
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        die("mmap failed");
    static const char *names[] = {"canary", "success", "success_one_tracked", "reconsume"};
    int fail = 0;
    const char *only = getenv("BENCH_PROBE"); /* debugging: run one probe */
    for (int p = 0; p <= P_LATER; p++) {
        if (only && atoi(only) != p)
            continue;
        long n = p == P_CANARY ? 1000 : p == P_LATER ? (calls < RING * 100L ? calls : RING * 100L) : calls;
        if (probe((enum probe)p, n, cnt) != 0) {
            printf("check\tFAIL\t%s: the probe process failed\n", names[p]);
            fail = 1;
            continue;
        }
        printf("probe\t%s\t%ld\t%lu\t%lu\t%lu\t%lu\t%lu\t%ld\n", names[p], n, sh->cnt.allocs,
               sh->cnt.frees, sh->cnt.locks, sh->sys, sh->accessors, sh->last_nr);
        if (p == P_CANARY) {
            /* the counters must see what is there, or a zero proves nothing */
            if (sh->cnt.allocs < (unsigned long)n || sh->cnt.frees < (unsigned long)n ||
                sh->cnt.locks < (unsigned long)n || sh->sys < (unsigned long)n) {
                printf("check\tFAIL\tcanary: the counters missed known calls\n");
                fail = 1;
            }
        } else if (p == P_LATER) {
            /* the shim's own calls must reach the counters: its table is locked here */
            if (sh->cnt.locks == 0 || sh->accessors == 0) {
                printf("check\tFAIL\treconsume: no lock seen where the shim takes one; the counters "
                       "do not see the shim's calls\n");
                fail = 1;
            }
        } else if (p == P_SUCCESS) {
            /* With RECONSUME_STATS a success is counted per topic: one read
             * of the topic from the client per call, and nothing else. */
            unsigned long accessors_allowed = getenv("RECONSUME_STATS") ? (unsigned long)n : 0;
            if (sh->cnt.allocs || sh->cnt.frees || sh->cnt.locks || sh->sys ||
                sh->accessors > accessors_allowed) {
                printf("check\tFAIL\tsuccess path: %lu allocations, %lu frees, %lu locks, %lu system calls "
                       "(last nr %ld), %lu accessor calls in %ld calls\n",
                       sh->cnt.allocs, sh->cnt.frees, sh->cnt.locks, sh->sys, sh->last_nr, sh->accessors, n);
                fail = 1;
            }
        }
    }
    if (!fail)
        printf("check\tPASS\tsuccess path: 0 allocations, 0 locks, 0 system calls in %ld calls\n", calls);
    return fail;
}

