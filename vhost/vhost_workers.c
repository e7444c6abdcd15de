// SPDX-License-Identifier: MIT
/* Finding vhost-net's workers in /proc (see vhost_workers.h). */
#include "vhost/vhost_workers.h"

#include <dirent.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether @dir/<id>/comm says "vhost-@owner". */
static bool is_worker(const char *dir, const char *id, int owner)
{
	char path[512], comm[64], want[32];
	FILE *f;
	bool match = false;

	snprintf(path, sizeof(path), "%s/%s/comm", dir, id);
	snprintf(want, sizeof(want), "vhost-%d\n", owner);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(comm, sizeof(comm), f))
		match = !strcmp(comm, want);
	fclose(f);
	return match;
}

/* Collect the numeric entries of @dir that are vhost-@owner workers. */
static unsigned int scan(const char *dir, int owner, struct vhost_workers *w)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return 0;
	while ((e = readdir(d)) && w->count < VHOST_WORKERS_MAX) {
		char *end;
		long id = strtol(e->d_name, &end, 10);

		if (end != e->d_name && !*end && is_worker(dir, e->d_name, owner))
			w->ids[w->count++] = (int)id;
	}
	closedir(d);
	return w->count;
}

void vhost_workers_find(const char *proc, int owner, struct vhost_workers *w)
{
	char tasks[512];

	*w = (struct vhost_workers){ .kind = VHOST_WORKERS_NONE };
	snprintf(tasks, sizeof(tasks), "%s/%d/task", proc, owner);
	if (scan(tasks, owner, w)) {
		w->kind = VHOST_WORKERS_THREADS;
		return;
	}
	if (scan(proc, owner, w))
		w->kind = VHOST_WORKERS_KTHREADS;
}

static bool known_worker(const struct vhost_workers *w, int id)
{
	for (unsigned int i = 0; i < w->count; i++)
		if (w->ids[i] == id)
			return true;
	return false;
}

int vhost_workers_find_new(const char *proc, int owner, struct vhost_workers *known)
{
	struct vhost_workers now;
	unsigned int found = 0;
	int id = -1;

	vhost_workers_find(proc, owner, &now);
	for (unsigned int i = 0; i < now.count && known->count < VHOST_WORKERS_MAX; i++) {
		if (known_worker(known, now.ids[i]))
			continue;
		known->kind = now.kind;
		known->ids[known->count++] = now.ids[i];
		id = now.ids[i];
		found++;
	}
	/* More than one new (an earlier pass found none): which is whose is unknown. */
	return found == 1 ? id : -1;
}

unsigned int vhost_workers_make_batch(const struct vhost_workers *w)
{
	struct sched_param none = { 0 };
	unsigned int done = 0;

	for (unsigned int i = 0; i < w->count; i++)
		if (!sched_setscheduler(w->ids[i], SCHED_BATCH, &none))
			done++;
	return done;
}

const char *vhost_workers_kind_name(enum vhost_workers_kind kind)
{
	switch (kind) {
	case VHOST_WORKERS_THREADS:	return "threads of tinyvmm";
	case VHOST_WORKERS_KTHREADS:	return "kernel threads";
	default:			return "none found";
	}
}
