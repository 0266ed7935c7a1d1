// SPDX-License-Identifier: GPL-2.0
/*
 * lw-replay: replay a dm-log-writes log onto a device, to rebuild on a fresh
 * disk what was (durably) on the logged device at some point.  Used by the
 * VM tests to simulate a power cut; small and static so it runs from the
 * initramfs.
 *
 * Log format (drivers/md/dm-log-writes.c, version 1, all fields
 * little-endian; "block" below means one log sector of `sectorsize` bytes,
 * the logical block size of the logged device, recorded in the super):
 *
 *   block 0      struct log_write_super {magic, version, nr_entries,
 *                sectorsize} (32 bytes incl. tail padding), rest zeroed
 *   block 1...   nr_entries entries, back to back, each:
 *                  one block: struct log_write_entry {sector, nr_sectors,
 *                  flags, data_len} (32 bytes); for a MARK the name follows
 *                  at byte 32 (data_len bytes, no NUL), rest zeroed
 *                  then, unless DISCARD, nr_sectors blocks of write data
 *   `sector` and `nr_sectors` are in units of sectorsize (not 512 bytes).
 *
 * The super's nr_entries is rewritten after every FUA or MARK entry (and
 * the target logs a "dm-log-writes-end" mark on removal); entries are
 * only trusted up to nr_entries.
 *
 * The whole window is parsed and validated before anything is written, so
 * a bad or truncated log leaves DEV untouched.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define LOG_FLUSH_FLAG		(1ULL << 0)
#define LOG_FUA_FLAG		(1ULL << 1)
#define LOG_DISCARD_FLAG	(1ULL << 2)
#define LOG_MARK_FLAG		(1ULL << 3)
#define LOG_METADATA_FLAG	(1ULL << 4)

#define WRITE_LOG_VERSION	1ULL
#define WRITE_LOG_MAGIC		0x6a736677736872ULL

#define SUPER_SIZE		32	/* sizeof(struct log_write_super) */
#define ENTRY_SIZE		32	/* sizeof(struct log_write_entry) */
#define IO_CHUNK		(1024 * 1024)

struct entry {
	uint64_t sector;	/* in sectorsize units */
	uint64_t nr_sectors;	/* in sectorsize units */
	uint64_t flags;
	uint64_t data_len;
	uint64_t pos;		/* byte offset of the entry block in the log */
};

static const char *prog = "lw-replay";
static int verbose;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: error: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t get_le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Read exactly len bytes at off; die on error or short read (truncation). */
static void read_exact(int fd, const char *name, void *buf, size_t len,
		       uint64_t off, const char *what)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done,
				  (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("reading %s from log %s at byte %" PRIu64 ": %s",
			    what, name, off + done, strerror(errno));
		}
		if (r == 0)
			die("log %s is truncated: %s at byte %" PRIu64
			    " (%zu bytes) ends past end of log",
			    name, what, off, len);
		done += (size_t)r;
	}
}

static void write_exact(int fd, const char *name, const void *buf, size_t len,
			uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pwrite(fd, (const char *)buf + done, len - done,
				   (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("writing %s at byte %" PRIu64 ": %s",
			    name, off + done, strerror(errno));
		}
		if (r == 0)
			die("writing %s at byte %" PRIu64 ": no progress "
			    "(device too small?)", name, off + done);
		done += (size_t)r;
	}
}

static void flags_str(uint64_t flags, char *buf, size_t len)
{
	static const struct { uint64_t f; const char *s; } names[] = {
		{ LOG_FLUSH_FLAG, "FLUSH" }, { LOG_FUA_FLAG, "FUA" },
		{ LOG_DISCARD_FLAG, "DISCARD" }, { LOG_MARK_FLAG, "MARK" },
		{ LOG_METADATA_FLAG, "META" },
	};
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].f))
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "|" : "",
				      names[i].s);
		flags &= ~names[i].f;
		if (n >= len)
			return;
	}
	if (flags && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%s0x%" PRIx64,
				      n ? "|" : "", flags);
	if (!n)
		snprintf(buf, len, "NONE");
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s --log LOGDEV --replay DEV [--all | --durable | --limit N |\n"
"                 --end-mark NAME] [--skip-discard] [--verbose]\n"
"\n"
"Replay a dm-log-writes log (LOGDEV) onto DEV (opened O_RDWR, written with\n"
"pwrite, fsync'ed at the end).  Modes:\n"
"  --all            replay every entry in order (default)\n"
"  --limit N        replay entries 0..N-1 only\n"
"  --end-mark NAME  replay up to and including the mark entry NAME\n"
"                   (the first mark with that name; the target ends every\n"
"                   log with the mark \"dm-log-writes-end\")\n"
"  --durable        keep only what a power cut right after the last entry\n"
"                   of the window would have left on disk: every entry up to\n"
"                   and including the last FLUSH entry, then only the FUA\n"
"                   writes after it.  Combines with --limit / --end-mark,\n"
"                   which then set the point of the power cut (default:\n"
"                   after the last entry of the log).\n"
"Discards are replayed as writes of zeros over their range (in --durable\n"
"mode only those up to the last FLUSH; a discard cannot carry FUA);\n"
"--skip-discard skips them instead.  Marks and empty flushes write nothing.\n"
"--verbose prints the super and one line per entry on stderr.\n"
"\n"
"Prints on stdout: lw-replay: entries N, replayed W writes (S sectors),\n"
"skipped K, last flush at entry F\n"
"  N = entries in the window, W + K = N, S in log sectors (the super's\n"
"  sectorsize; discards replayed as zeros count as writes), F = index of\n"
"  the last FLUSH entry in the window or -1.\n"
"Exit status 1 on a bad super (magic, version, sectorsize), a truncated or\n"
"malformed log, a missing mark, or an I/O error; DEV is left untouched\n"
"unless the log parsed cleanly.\n", prog);
}

enum mode_opt { OPT_ALL = 1000, OPT_DURABLE, OPT_LIMIT, OPT_END_MARK,
		OPT_SKIP_DISCARD, OPT_LOG, OPT_REPLAY };

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log", required_argument, NULL, OPT_LOG },
		{ "replay", required_argument, NULL, OPT_REPLAY },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "durable", no_argument, NULL, OPT_DURABLE },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "end-mark", required_argument, NULL, OPT_END_MARK },
		{ "skip-discard", no_argument, NULL, OPT_SKIP_DISCARD },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *logname = NULL, *devname = NULL, *end_mark = NULL;
	int all = 0, durable = 0, skip_discard = 0, have_limit = 0;
	uint64_t limit = 0;
	unsigned char *blk, *buf;
	unsigned char sb[SUPER_SIZE];
	uint64_t magic, version, nr_entries, log_size, pos, i, window;
	uint64_t writes = 0, sectors = 0, skipped = 0;
	int64_t last_flush = -1;
	uint32_t ss;
	struct entry *ents;
	off_t end;
	int c, logfd, devfd;

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		char *ep;

		switch (c) {
		case OPT_LOG: logname = optarg; break;
		case OPT_REPLAY: devname = optarg; break;
		case OPT_ALL: all = 1; break;
		case OPT_DURABLE: durable = 1; break;
		case OPT_SKIP_DISCARD: skip_discard = 1; break;
		case OPT_END_MARK: end_mark = optarg; break;
		case OPT_LIMIT:
			errno = 0;
			limit = strtoull(optarg, &ep, 0);
			if (errno || ep == optarg || *ep || optarg[0] == '-')
				die("bad --limit '%s'", optarg);
			have_limit = 1;
			break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog,
			argv[optind]);
		usage(stderr);
		return 1;
	}
	if (!logname || !devname) {
		fprintf(stderr, "%s: --log and --replay are required\n", prog);
		usage(stderr);
		return 1;
	}
	if (have_limit && end_mark)
		die("--limit and --end-mark are mutually exclusive");
	if (all && (durable || have_limit || end_mark))
		die("--all excludes --durable, --limit and --end-mark");

	logfd = open(logname, O_RDONLY);
	if (logfd < 0)
		die("cannot open log %s: %s", logname, strerror(errno));
	end = lseek(logfd, 0, SEEK_END);	/* works for block devices too */
	if (end < 0)
		die("cannot size log %s: %s", logname, strerror(errno));
	log_size = (uint64_t)end;

	/* --- super --- */
	read_exact(logfd, logname, sb, sizeof(sb), 0, "super block");
	magic = get_le64(sb);
	version = get_le64(sb + 8);
	nr_entries = get_le64(sb + 16);
	ss = get_le32(sb + 24);
	if (magic != WRITE_LOG_MAGIC)
		die("log %s: bad magic 0x%016" PRIx64 " (want 0x%016llx): "
		    "not a dm-log-writes log", logname, magic, WRITE_LOG_MAGIC);
	if (version != WRITE_LOG_VERSION)
		die("log %s: unsupported version %" PRIu64 " (want %llu)",
		    logname, version, WRITE_LOG_VERSION);
	if (ss < 512 || ss > 65536 || (ss & (ss - 1)))
		die("log %s: bad sectorsize %" PRIu32, logname, ss);
	if (log_size < ss)
		die("log %s is truncated: %" PRIu64 " bytes, less than one "
		    "%" PRIu32 "-byte super block", logname, log_size, ss);
	/* every entry takes at least one block after the super */
	if (nr_entries > log_size / ss - 1)
		die("log %s is truncated: super claims %" PRIu64 " entries, "
		    "only room for %" PRIu64, logname, nr_entries,
		    log_size / ss - 1);
	if (verbose)
		fprintf(stderr, "%s: log %s: version %" PRIu64 ", %" PRIu64
			" entries, sectorsize %" PRIu32 ", %" PRIu64 " bytes\n",
			prog, logname, version, nr_entries, ss, log_size);

	blk = malloc(ss);
	buf = malloc(IO_CHUNK);
	ents = calloc(nr_entries ? nr_entries : 1, sizeof(*ents));
	if (!blk || !buf || !ents)
		die("out of memory (%" PRIu64 " entries)", nr_entries);

	/*
	 * --- pass 1: index and validate the entries of the window ---
	 * window = number of entries replayed from (limit, mark or all).
	 */
	if (have_limit && limit > nr_entries)
		die("--limit %" PRIu64 " exceeds the %" PRIu64
		    " entries in the log", limit, nr_entries);
	window = have_limit ? limit : nr_entries;
	pos = ss;
	for (i = 0; i < window; i++) {
		struct entry *e = &ents[i];
		uint64_t j, data_bytes;

		read_exact(logfd, logname, blk, ss, pos, "entry block");
		e->sector = get_le64(blk);
		e->nr_sectors = get_le64(blk + 8);
		e->flags = get_le64(blk + 16);
		e->data_len = get_le64(blk + 24);
		e->pos = pos;

		if (!e->flags && !e->nr_sectors)
			die("log %s: entry %" PRIu64 " at byte %" PRIu64
			    " is all zeroes (malformed or truncated log)",
			    logname, i, pos);
		if (e->flags & LOG_MARK_FLAG) {
			if (e->data_len > ss - ENTRY_SIZE)
				die("log %s: mark entry %" PRIu64 " has data_len "
				    "%" PRIu64 " > %" PRIu32, logname, i,
				    e->data_len, ss - ENTRY_SIZE);
		} else {
			for (j = ENTRY_SIZE; j < ss; j++)
				if (blk[j])
					die("log %s: entry %" PRIu64 " at byte "
					    "%" PRIu64 " is malformed (non-zero "
					    "padding at offset %" PRIu64 ")",
					    logname, i, pos, j);
		}
		if (e->nr_sectors > (UINT64_MAX >> 1) / ss ||
		    e->sector > (UINT64_MAX >> 1) / ss - e->nr_sectors)
			die("log %s: entry %" PRIu64 " has absurd range "
			    "%" PRIu64 "+%" PRIu64, logname, i, e->sector,
			    e->nr_sectors);
		data_bytes = (e->flags & LOG_DISCARD_FLAG) ? 0 :
			     e->nr_sectors * ss;
		if (pos + ss > log_size || data_bytes > log_size - pos - ss)
			die("log %s is truncated: entry %" PRIu64 " at byte "
			    "%" PRIu64 " needs %" PRIu64 " data bytes, log has "
			    "%" PRIu64, logname, i, pos, data_bytes, log_size);
		pos += ss + data_bytes;

		if (e->flags & LOG_FLUSH_FLAG)
			last_flush = (int64_t)i;
		if (verbose && (e->flags & LOG_MARK_FLAG))
			fprintf(stderr, "%s: entry %" PRIu64 " is mark '%.*s'\n",
				prog, i, (int)e->data_len, blk + ENTRY_SIZE);
		if (end_mark && (e->flags & LOG_MARK_FLAG) &&
		    e->data_len == strlen(end_mark) &&
		    !memcmp(blk + ENTRY_SIZE, end_mark, e->data_len)) {
			window = i + 1;
			break;
		}
	}
	if (end_mark && i == nr_entries)
		die("log %s: mark '%s' not found in %" PRIu64 " entries",
		    logname, end_mark, nr_entries);

	/* --- pass 2: replay --- */
	devfd = open(devname, O_RDWR);
	if (devfd < 0)
		die("cannot open replay device %s: %s", devname,
		    strerror(errno));

	for (i = 0; i < window; i++) {
		const struct entry *e = &ents[i];
		uint64_t off = e->sector * ss, left = e->nr_sectors * ss;
		uint64_t src = e->pos + ss;
		int discard = !!(e->flags & LOG_DISCARD_FLAG);
		const char *why = NULL;
		char fs[96];

		if (e->flags & LOG_MARK_FLAG)
			why = "mark";
		else if (!e->nr_sectors)
			why = "no data";
		else if (durable && (int64_t)i > last_flush &&
			 !(e->flags & LOG_FUA_FLAG))
			why = "not durable (after last flush, no FUA)";
		else if (discard && skip_discard)
			why = "discard skipped";

		if (verbose) {
			flags_str(e->flags, fs, sizeof(fs));
			fprintf(stderr, "%s: entry %" PRIu64 " @%" PRIu64
				": sector %" PRIu64 " +%" PRIu64 " %s: %s%s%s\n",
				prog, i, e->pos / ss, e->sector, e->nr_sectors,
				fs, why ? "skip" : discard ? "zero" : "write",
				why ? ", " : "", why ? why : "");
		}
		if (why) {
			skipped++;
			continue;
		}

		if (discard)
			memset(buf, 0, IO_CHUNK);
		while (left) {
			size_t n = left > IO_CHUNK ? IO_CHUNK : (size_t)left;

			if (!discard)
				read_exact(logfd, logname, buf, n, src,
					   "write data");
			write_exact(devfd, devname, buf, n, off);
			src += n;
			off += n;
			left -= n;
		}
		writes++;
		sectors += e->nr_sectors;
	}

	if (fsync(devfd) < 0)
		die("fsync %s: %s", devname, strerror(errno));
	if (close(devfd) < 0)
		die("close %s: %s", devname, strerror(errno));
	close(logfd);

	printf("lw-replay: entries %" PRIu64 ", replayed %" PRIu64
	       " writes (%" PRIu64 " sectors), skipped %" PRIu64
	       ", last flush at entry %" PRId64 "\n",
	       window, writes, sectors, skipped, last_flush);
	free(ents);
	free(buf);
	free(blk);
	return 0;
}
