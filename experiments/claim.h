/* Claims: how the workers of one sweep share its grid (docs/cluster.md).
 *
 * A worker owns grid point RUN.h5 while it holds the claim file
 * RUN.h5.claim, created with O_CREAT|O_EXCL.  The file says who (host,
 * pid, the child running the point), since when and how far the run got;
 * the owner refreshes its mtime (the heartbeat) whenever the run made
 * progress.  A claim is stale when its owner is a dead process on this
 * host whose child (a governor finishing the run's analysis) is gone too,
 * or when its mtime is older than the lease by the filesystem's own clock;
 * a stale claim is taken over by renaming it away (only one renamer
 * wins) and creating a fresh one.  An owner whose claim file is no longer
 * its own (another inode) has lost the point. */
#ifndef GV_EXPERIMENTS_CLAIM_H
#define GV_EXPERIMENTS_CLAIM_H

#include <sys/types.h>

/* What a claim file says, and what is known about it. */
typedef struct gv_claim_info {
  char host[256];
  long pid, child;          /* the worker, and the process running the point */
  long long start;          /* seconds since the epoch, the owner's clock */
  long long step;           /* the run's last step the owner saw (-1: none) */
  double age;               /* seconds since the last heartbeat (filesystem clock) */
  int alive;                /* 1 alive, 0 dead (this host), -1 unknown (another host) */
} gv_claim_info;

/* A claim held by this process. */
typedef struct gv_claim {
  int fd;                   /* -1: none */
  dev_t dev;
  ino_t ino;
  char path[4200];
  long child;
  long long start, step;
  double run_mtime;         /* the run file's mtime at the last heartbeat */
  long long run_size;
} gv_claim;

enum { GV_CLAIM_TAKEN, GV_CLAIM_BUSY, GV_CLAIM_FAILED };

/* Tries to claim the point whose run file is run_path (its folder is
 * created).  A stale claim is taken over, and what it said is copied to
 * *old (old->pid > 0) so the caller can say whose it was.  GV_CLAIM_FAILED:
 * the claim file can not be made (why in msg). */
int gv_claim_take(gv_claim *c, const char *run_path, double lease, gv_claim_info *old,
                  char *msg, size_t size);
/* Whether c's file is still the claim of its point. */
int gv_claim_ours(const gv_claim *c);
/* The heartbeat: records child and step, and refreshes the mtime when the
 * run file changed since the last one (or force). */
void gv_claim_beat(gv_claim *c, const char *run_path, long child, long long step, int force);
/* Removes the claim file if it is still ours; closes. */
void gv_claim_release(gv_claim *c);

/* The claim of run_path: 1 and *info when there is one, else 0. */
int gv_claim_read(const char *run_path, gv_claim_info *info);
int gv_claim_stale(const gv_claim_info *info, double lease);

/* The last step of any series of a run file (a running one too), -1 when
 * there is none or the file can not be read. */
long long gv_claim_run_step(const char *run_path);

/* This host's name (cached). */
const char *gv_claim_host(void);

#endif
