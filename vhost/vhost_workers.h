/* SPDX-License-Identifier: MIT */
#ifndef TINYVMM_VHOST_WORKERS_H
#define TINYVMM_VHOST_WORKERS_H

/*
 * Where vhost-net's workers run, for the report: each vhost instance gets
 * a worker named "vhost-<owner pid>" at VHOST_SET_OWNER. Before Linux 6.4
 * it is a kernel thread (its own /proc/<pid>); since 6.4 (vhost_task) it
 * is a thread inside the owning process (/proc/<owner>/task/<tid>), its
 * CPU time counted in the owner's.
 */
enum vhost_workers_kind {
	VHOST_WORKERS_NONE,	/* none found */
	VHOST_WORKERS_THREADS,	/* threads of the owner (Linux 6.4+) */
	VHOST_WORKERS_KTHREADS,	/* kernel threads (before 6.4) */
};

#define VHOST_WORKERS_MAX 16

struct vhost_workers {
	enum vhost_workers_kind kind;
	unsigned int count;
	int ids[VHOST_WORKERS_MAX];	/* thread or process ids */
};

/* The vhost-@owner workers, looked up under @proc ("/proc"). */
void vhost_workers_find(const char *proc, int owner, struct vhost_workers *w);

/*
 * Right after one more VHOST_SET_OWNER: its worker is the vhost-@owner
 * that @known lacks. Appends the new ones to @known (their kind too) and
 * returns the id when there is exactly one; -1 when there is none
 * (another kernel's naming, /proc hidden, @known full) or more than one
 * (an earlier pass found none: which is whose cannot be told).
 */
int vhost_workers_find_new(const char *proc, int owner, struct vhost_workers *known);

/*
 * Make each of @w's workers SCHED_BATCH (--worker-sched batch): a kthread
 * takes it from root as a thread does. Returns how many took it; errno is
 * the last refusal's.
 */
unsigned int vhost_workers_make_batch(const struct vhost_workers *w);

/* "threads of tinyvmm", "kernel threads" or "none found". */
const char *vhost_workers_kind_name(enum vhost_workers_kind kind);

#endif
