// SPDX-License-Identifier: MIT
/* Finding vhost-PID workers in a fake /proc laid out like 6.1's and 6.12's. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhost/vhost_workers.h"

static char root[64];

static void put(const char *rel, const char *comm)
{
	char path[256], dir[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/comm", root, rel);
	snprintf(dir, sizeof(dir), "%s/%s", root, rel);
	for (char *p = dir + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	mkdir(dir, 0755);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s\n", comm);
	fclose(f);
}

static void setup(void)
{
	strcpy(root, "/tmp/tinyvmm-proc-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	put("1000", "tinyvmm");
	put("1000/task/1000", "tinyvmm");
	put("1000/task/1001", "tinyvmm");
	put("1", "init");
	put("self", "not-a-pid");
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(vhost_workers, .init = setup, .fini = teardown);

/* Linux 6.4+: the worker is a thread of tinyvmm. */
Test(vhost_workers, threads_of_the_owner)
{
	struct vhost_workers w;

	put("1000/task/1002", "vhost-1000");
	put("1000/task/1003", "vhost-1000");
	vhost_workers_find(root, 1000, &w);
	cr_assert_eq(w.kind, VHOST_WORKERS_THREADS);
	cr_assert_eq(w.count, 2);
	cr_assert(w.ids[0] + w.ids[1] == 1002 + 1003);
	cr_assert_str_eq(vhost_workers_kind_name(w.kind), "threads of tinyvmm");
}

/* Before 6.4: a kernel thread with its own pid. */
Test(vhost_workers, kernel_threads)
{
	struct vhost_workers w;

	put("1005", "vhost-1000");
	put("1006", "vhost-999");	/* another VMM's */
	put("1007", "vhost-10000");
	vhost_workers_find(root, 1000, &w);
	cr_assert_eq(w.kind, VHOST_WORKERS_KTHREADS);
	cr_assert_eq(w.count, 1);
	cr_assert_eq(w.ids[0], 1005);
	cr_assert_str_eq(vhost_workers_kind_name(w.kind), "kernel threads");
}

Test(vhost_workers, none)
{
	struct vhost_workers w;

	vhost_workers_find(root, 1000, &w);
	cr_assert_eq(w.kind, VHOST_WORKERS_NONE);
	cr_assert_eq(w.count, 0);
	vhost_workers_find("/nonexistent", 1000, &w);
	cr_assert_eq(w.kind, VHOST_WORKERS_NONE);
}

/*
 * One worker per VHOST_SET_OWNER, found right after it: each pass appends
 * the one the earlier passes lack, in that order (pair 0's, then pair 1's),
 * whatever order /proc lists them in.
 */
Test(vhost_workers, find_new_one_per_pair)
{
	struct vhost_workers known = { .kind = VHOST_WORKERS_NONE };

	put("1000/task/1009", "vhost-1000");
	cr_assert_eq(vhost_workers_find_new(root, 1000, &known), 1009);
	put("1000/task/1004", "vhost-1000");	/* a lower tid, listed first */
	cr_assert_eq(vhost_workers_find_new(root, 1000, &known), 1004);
	cr_assert_eq(known.kind, VHOST_WORKERS_THREADS);
	cr_assert_eq(known.count, 2);
	cr_assert_eq(known.ids[0], 1009);
	cr_assert_eq(known.ids[1], 1004);
	/* Nothing new since: nothing appended. */
	cr_assert_eq(vhost_workers_find_new(root, 1000, &known), -1);
	cr_assert_eq(known.count, 2);
}

/* A pass that found none leaves the next with two: both kept, neither named. */
Test(vhost_workers, find_new_two_at_once_names_neither)
{
	struct vhost_workers known = { .kind = VHOST_WORKERS_NONE };

	put("1005", "vhost-1000");
	put("1008", "vhost-1000");
	cr_assert_eq(vhost_workers_find_new(root, 1000, &known), -1);
	cr_assert_eq(known.kind, VHOST_WORKERS_KTHREADS);
	cr_assert_eq(known.count, 2);
	cr_assert_eq(known.ids[0] + known.ids[1], 1005 + 1008);
}

Test(vhost_workers, find_new_none_or_full)
{
	struct vhost_workers known = { .kind = VHOST_WORKERS_NONE };

	cr_assert_eq(vhost_workers_find_new(root, 1000, &known), -1);
	cr_assert_eq(known.kind, VHOST_WORKERS_NONE);
	cr_assert_eq(known.count, 0);
	known.count = VHOST_WORKERS_MAX;
	put("1005", "vhost-1000");
	cr_assert_eq(vhost_workers_find_new(root, 1000, &known), -1);
	cr_assert_eq(known.count, VHOST_WORKERS_MAX);
}

/*
 * The real /proc and the real call: a thread of this process named like a
 * Linux 6.4+ vhost worker is found and made SCHED_BATCH; the others are not.
 */
static void *idle_thread(void *arg)
{
	int *tid = arg;

	__atomic_store_n(tid, (int)gettid(), __ATOMIC_RELEASE);
	while (__atomic_load_n(tid, __ATOMIC_ACQUIRE) > 0)
		usleep(1000);
	return NULL;
}

Test(vhost_workers, make_batch_on_the_found_workers)
{
	int worker_tid = 0, other_tid = 0;
	pthread_t worker, other;
	struct vhost_workers w;
	char name[16];

	if (sched_getscheduler(0) != SCHED_OTHER)
		cr_skip_test("the runner is not SCHED_OTHER, so the threads would not start so");
	cr_assert_eq(pthread_create(&worker, NULL, idle_thread, &worker_tid), 0);
	cr_assert_eq(pthread_create(&other, NULL, idle_thread, &other_tid), 0);
	while (!__atomic_load_n(&worker_tid, __ATOMIC_ACQUIRE) ||
	       !__atomic_load_n(&other_tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	snprintf(name, sizeof(name), "vhost-%d", (int)getpid());
	cr_assert_eq(pthread_setname_np(worker, name), 0);
	vhost_workers_find("/proc", getpid(), &w);
	cr_assert_eq(w.kind, VHOST_WORKERS_THREADS);
	cr_assert_eq(w.count, 1);
	cr_assert_eq(w.ids[0], worker_tid);
	cr_assert_eq(vhost_workers_make_batch(&w), 1);
	cr_assert_eq(sched_getscheduler(worker_tid), SCHED_BATCH);
	cr_assert_eq(sched_getscheduler(other_tid), SCHED_OTHER, "only the workers");
	cr_assert_eq(sched_getscheduler(0), SCHED_OTHER, "not the caller");
	__atomic_store_n(&worker_tid, -1, __ATOMIC_RELEASE);
	__atomic_store_n(&other_tid, -1, __ATOMIC_RELEASE);
	pthread_join(worker, NULL);
	pthread_join(other, NULL);
}

Test(vhost_workers, make_batch_counts_refusals)
{
	struct vhost_workers w = { .kind = VHOST_WORKERS_KTHREADS, .count = 1, .ids = { -7 } };

	cr_assert_eq(vhost_workers_make_batch(&w), 0);
	cr_assert_eq(errno, EINVAL);
}
