/*
 * lock.h -- the one lock of geosnap: a file held with flock() that records
 * its holder's pid.
 *
 * The kernel releases the flock when the holder dies, so a killed process
 * never leaves a lock behind; the pid lets the next one say who holds it,
 * or that it takes over from one that is gone.  The run lock
 * (state_dir/run.lock) and each tenant's writer lock on the local
 * repository are both taken with it.
 */
#ifndef GEOSNAP_LOCK_H
#define GEOSNAP_LOCK_H

/* gs_lock_take() returns this when another process holds the lock. */
#define GS_LOCK_BUSY (-2)

/*
 * gs_lock_take(path, ret_pid): create or open path (gs_open_private: never
 * through a link, 0600), take it with flock(LOCK_EX | LOCK_NB) and write our
 * pid into it.  *ret_pid (may be NULL) receives the pid the file held
 * before: the holder when GS_LOCK_BUSY is returned, else the last holder
 * (0 when none was recorded, i.e. it finished cleanly or never wrote one).
 * Returns the fd, GS_LOCK_BUSY (not warned: the caller names what is
 * locked), or -1 (warned naming path).
 */
int gs_lock_take(const char *path, long *ret_pid);

/*
 * gs_lock_release(fd): empty the lock file (an empty lock file means the
 * last holder finished cleanly) and close fd, which releases the lock.  A
 * negative fd is ignored.
 */
void gs_lock_release(int fd);

#endif
