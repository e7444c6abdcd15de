// SPDX-License-Identifier: MIT
/* Finding vhost-PID workers in a fake /proc laid out like 6.1's and 6.12's. */
#include <criterion/criterion.h>
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
