/*
 * lock.c -- a flock()ed file holding its holder's pid (geosnap/lock.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "geosnap/lock.h"
#include "geosnap/util.h"

/* Room for a decimal pid and its newline. */
#define PID_TEXT_MAX 32

/* recorded_pid(fd): the pid written at the start of the lock file, or 0. */
static long
recorded_pid(int fd)
{
	char pid[PID_TEXT_MAX];
	ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
	long v;

	pid[n > 0 ? n : 0] = '\0';
	v = strtol(pid, NULL, 10);
	return v > 0 ? v : 0;
}

/*
 * gs_lock_take(path, ret_pid): take the lock file path, recording our pid.
 * The fd, GS_LOCK_BUSY (*ret_pid the holder), or -1 (warned).
 */
int
gs_lock_take(const char *path, long *ret_pid)
{
	char pid[PID_TEXT_MAX];
	long old;
	int fd, n;

	if ((fd = gs_open_private(path, O_RDWR | O_CREAT, 0600)) < 0)
		goto err0;
	old = recorded_pid(fd);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno == EWOULDBLOCK)
			goto busy;
		gs_warnp("flock %s", path);
		goto err1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n)
		gs_warnp("%s: cannot record the holder's pid", path);
	if (ret_pid != NULL)
		*ret_pid = old;

	/* Success! */
	return fd;

busy:
	/* the holder may have written its pid since we read */
	old = recorded_pid(fd);
	close(fd);
	if (ret_pid != NULL)
		*ret_pid = old;
	return GS_LOCK_BUSY;
err1:
	close(fd);
err0:
	/* Failure! */
	return -1;
}

/*
 * gs_lock_release(fd): empty the lock file and close fd (releasing the
 * lock); a negative fd is ignored.
 */
void
gs_lock_release(int fd)
{
	if (fd < 0)
		return;
	if (ftruncate(fd, 0))
		gs_warnp("cannot empty a lock file");
	close(fd);
}
