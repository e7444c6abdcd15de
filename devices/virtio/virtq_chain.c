// SPDX-License-Identifier: MIT
/*
 * One guest buffer onto a descriptor chain: what the split and packed
 * readers (virtq_split.c, virtq_packed.c) share. Its own file so that the
 * entry points in virtq.c call the two formats and the formats call only
 * this, never back into virtq.c.
 */
#include "devices/virtio/virtq.h"

int virtq_chain_add(struct virtq *vq, struct virtq_chain *chain, uint64_t addr,
		    uint32_t len, bool writable)
{
	void *host;

	if (chain->nout + chain->nin >= VIRTQ_MAX_IOV)
		return -1;
	/* Readable buffers first: a readable one after a writable is a bug (§2.7.4.2). */
	if (!writable && chain->nin)
		return -1;
	host = guest_mem_ptr(vq->mem, addr, len);
	if (!host)
		return -1;
	chain->iov[chain->nout + chain->nin] = (struct iovec){ host, len };
	if (writable) {
		chain->nin++;
		chain->in_len += len;
	} else {
		chain->nout++;
		chain->out_len += len;
	}
	return 0;
}
