// SPDX-License-Identifier: MIT
/*
 * tinyvmm-ptyrun: run a command on a fresh pseudo-terminal and check that it
 * leaves the terminal as it found it. Test equipment for tests/e2e (the
 * tty-restore check); run in the (emulated) ARM64 host next to tinyvmm.
 *
 *   tinyvmm-ptyrun [--wait-for TEXT] [--then signal:NAME | --then keys:HEX]
 *                  [--timeout SECS] -- COMMAND [ARGS...]
 *
 * COMMAND gets the pty slave as stdin, stdout, stderr and controlling
 * terminal, set to a known cooked mode first. Everything it prints is
 * copied to our stdout. When TEXT appears, the terminal must be in raw mode
 * (ICANON and ECHO off): prints `ptyrun: raw while running`. Then the
 * action: a signal to COMMAND (signal:TERM, signal:SEGV, ...) or bytes
 * typed on the keyboard (keys:0178 is Ctrl-A x). Once COMMAND has exited,
 * the slave's termios is compared with the one set at the start:
 *
 *   ptyrun: terminal restored
 *   ptyrun: terminal NOT restored: c_lflag 0x8a3b -> 0xa30
 *   ptyrun: exit N          (COMMAND's status; 128 + signal if killed)
 *
 * Exit status: 0 if TEXT (when given) was seen in raw mode and the terminal
 * was restored; 1 if not, or COMMAND outlived --timeout (then it is
 * killed); 2 on usage or set-up errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_KEYS 64
#define READ_CHUNK 4096
#define DEFAULT_TIMEOUT_S 300
/* After COMMAND exits, output may still be on its way through the pty. */
#define DRAIN_QUIET_MS 200

struct opts {
	const char *wait_for;
	int signal;			/* 0: no signal to send */
	unsigned char keys[MAX_KEYS];
	size_t nkeys;
	unsigned int timeout_s;
	char **argv;			/* COMMAND and its arguments */
};

struct run {
	int master, slave, pidfd;
	pid_t pid;
	struct termios cooked;		/* what COMMAND must leave behind */
	char *tail;			/* last bytes seen, to find TEXT across reads */
	size_t tail_len;
	bool seen;			/* TEXT has appeared (and the action is done) */
	bool raw_ok;			/* ... with the terminal in raw mode */
	bool at_line_start;		/* of our stdout: where report lines may go */
	struct timespec deadline;
};

static const struct { const char *name; int sig; } signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "ABRT", SIGABRT }, { "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },
	{ "ALRM", SIGALRM }, { "TERM", SIGTERM },
};

/* The mode flags, compared whole: a restore puts back every bit. */
#define FLAG_FIELD(f) { #f, offsetof(struct termios, f) }
static const struct { const char *name; size_t off; } flags[] = {
	FLAG_FIELD(c_iflag), FLAG_FIELD(c_oflag), FLAG_FIELD(c_cflag), FLAG_FIELD(c_lflag),
};

/* The control characters a raw-mode switch may touch, by name for reports. */
static const struct { const char *name; int idx; } ccs[] = {
	{ "VINTR", VINTR }, { "VQUIT", VQUIT }, { "VERASE", VERASE }, { "VKILL", VKILL },
	{ "VEOF", VEOF }, { "VTIME", VTIME }, { "VMIN", VMIN }, { "VSTART", VSTART },
	{ "VSTOP", VSTOP }, { "VSUSP", VSUSP }, { "VEOL", VEOL }, { "VREPRINT", VREPRINT },
	{ "VDISCARD", VDISCARD }, { "VWERASE", VWERASE }, { "VLNEXT", VLNEXT },
	{ "VEOL2", VEOL2 },
};

static void usage(void)
{
	fprintf(stderr,
		"usage: tinyvmm-ptyrun [--wait-for TEXT] [--then signal:NAME | --then keys:HEX]\n"
		"                      [--timeout SECS] -- COMMAND [ARGS...]\n");
	exit(2);
}

static void setup_fail(const char *what)
{
	fprintf(stderr, "ptyrun: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int parse_signal(const char *name)
{
	if (!strncmp(name, "SIG", 3))
		name += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (!strcmp(signals[i].name, name))
			return signals[i].sig;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "0178" or "01 78": pairs of hex digits, spaces between bytes allowed. */
static bool parse_keys(const char *hex, struct opts *o)
{
	while (*hex) {
		int hi, lo;

		if (*hex == ' ') {
			hex++;
			continue;
		}
		hi = hex_digit(hex[0]);
		lo = hi < 0 ? -1 : hex_digit(hex[1]);
		if (lo < 0 || o->nkeys == MAX_KEYS)
			return false;
		o->keys[o->nkeys++] = (unsigned char)(hi << 4 | lo);
		hex += 2;
	}
	return o->nkeys > 0;
}

static bool parse_action(const char *a, struct opts *o)
{
	if (!strncmp(a, "signal:", 7))
		return (o->signal = parse_signal(a + 7)) != 0;
	if (!strncmp(a, "keys:", 5))
		return parse_keys(a + 5, o);
	return false;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	int i;

	o->timeout_s = DEFAULT_TIMEOUT_S;
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (!val)
			usage();
		if (!strcmp(argv[i], "--wait-for") && *val) {
			o->wait_for = val;
		} else if (!strcmp(argv[i], "--then")) {
			if (o->signal || o->nkeys || !parse_action(val, o))
				usage();
		} else if (!strcmp(argv[i], "--timeout")) {
			unsigned long t = strtoul(val, &end, 10);

			if (*end || !t || t > 86400)
				usage();
			o->timeout_s = (unsigned int)t;
		} else {
			usage();
		}
		i++;
	}
	/* An action needs a moment to happen at. */
	if (i + 1 >= argc || ((o->signal || o->nkeys) && !o->wait_for))
		usage();
	o->argv = argv + i + 1;
}

/*
 * Like `stty sane`: explicit values, so the result does not depend on the
 * kernel's pty defaults. They are a login terminal's usual flags, most of
 * which raw mode (cfmakeraw) clears, so a missed restore shows.
 */
static void set_cooked(int fd, struct termios *rec)
{
	struct termios t;

	if (tcgetattr(fd, &t))
		setup_fail("tcgetattr on the pty");
	t.c_iflag = BRKINT | ICRNL | IXON | IMAXBEL | IUTF8;
	t.c_oflag = OPOST | ONLCR;
	t.c_cflag = (t.c_cflag & ~(CSIZE | PARENB)) | CS8 | CREAD;
	t.c_lflag = ISIG | ICANON | IEXTEN | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE;
	t.c_cc[VINTR] = 0x03;
	t.c_cc[VQUIT] = 0x1c;
	t.c_cc[VERASE] = 0x7f;
	t.c_cc[VKILL] = 0x15;
	t.c_cc[VEOF] = 0x04;
	t.c_cc[VSUSP] = 0x1a;
	/* Not what cfmakeraw sets (1 and 0), so a half-restore is caught. */
	t.c_cc[VMIN] = 4;
	t.c_cc[VTIME] = 2;
	if (tcsetattr(fd, TCSANOW, &t))
		setup_fail("tcsetattr on the pty");
	/* Record what the kernel kept, not what we asked for. */
	if (tcgetattr(fd, rec))
		setup_fail("tcgetattr on the pty");
}

static void open_pty(struct run *r)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };

	r->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (r->master < 0 || grantpt(r->master) || unlockpt(r->master))
		setup_fail("posix_openpt");
	r->slave = open(ptsname(r->master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (r->slave < 0)
		setup_fail("opening the pty slave");
	ioctl(r->master, TIOCSWINSZ, &ws);
	set_cooked(r->slave, &r->cooked);
	/* Non-blocking: after COMMAND exits, reads are drained until empty. */
	fcntl(r->master, F_SETFL, fcntl(r->master, F_GETFL) | O_NONBLOCK);
}

/* In the child: become COMMAND on the pty as its controlling terminal. */
static void exec_child(struct run *r, char **argv)
{
	static const int reset[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE };
	struct rlimit no_core = { 0, 0 };
	sigset_t none;

	/*
	 * A signal ignored by whoever started us would stay ignored across
	 * exec, and tinyvmm would never see it: start from the defaults.
	 */
	for (size_t i = 0; i < ARRAY_SIZE(reset); i++)
		signal(reset[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* A fatal-signal case must not write a core holding the guest's RAM. */
	setrlimit(RLIMIT_CORE, &no_core);
	if (setsid() < 0 || ioctl(r->slave, TIOCSCTTY, 0) < 0 ||
	    dup2(r->slave, 0) < 0 || dup2(r->slave, 1) < 0 || dup2(r->slave, 2) < 0) {
		perror("ptyrun: child set-up");
		_exit(127);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "ptyrun: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void start_child(struct run *r, char **argv)
{
	r->pid = fork();
	if (r->pid < 0)
		setup_fail("fork");
	if (r->pid == 0)
		exec_child(r, argv);
	/* pidfd: poll() tells us when COMMAND exits, next to its output. */
	r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	if (r->pidfd < 0) {
		kill(r->pid, SIGKILL);
		setup_fail("pidfd_open");
	}
}

static void write_out(struct run *r, const char *buf, size_t len)
{
	if (!len)
		return;
	fwrite(buf, 1, len, stdout);
	r->at_line_start = buf[len - 1] == '\n';
}

/* Our own report lines: always at the start of a line, to grep them. */
static void say(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->at_line_start)
		putchar('\n');
	fputs("ptyrun: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	r->at_line_start = true;
}

/* TEXT in the output so far, even when split across two reads? */
static bool text_seen(struct run *r, const char *text, const char *buf, size_t len)
{
	size_t tlen = strlen(text), keep = tlen - 1;
	bool found;

	memcpy(r->tail + r->tail_len, buf, len);
	r->tail_len += len;
	found = memmem(r->tail, r->tail_len, text, tlen) != NULL;
	if (r->tail_len > keep) {
		memmove(r->tail, r->tail + r->tail_len - keep, keep);
		r->tail_len = keep;
	}
	return found;
}

static void check_raw(struct run *r)
{
	struct termios now;

	if (tcgetattr(r->slave, &now)) {
		say(r, "cannot read the terminal mode: %s", strerror(errno));
		return;
	}
	r->raw_ok = !(now.c_lflag & (ICANON | ECHO));
	if (r->raw_ok)
		say(r, "raw while running");
	else
		say(r, "NOT raw while running: c_lflag 0x%x has ICANON or ECHO",
		    (unsigned int)now.c_lflag);
}

static void act(struct run *r, const struct opts *o)
{
	check_raw(r);
	if (o->signal) {
		say(r, "sending SIG%s", sigabbrev_np(o->signal));
		kill(r->pid, o->signal);
	} else if (o->nkeys) {
		say(r, "typing %zu byte(s)", o->nkeys);
		if (write(r->master, o->keys, o->nkeys) != (ssize_t)o->nkeys)
			say(r, "typing failed: %s", strerror(errno));
	}
}

/*
 * Copy what is readable on the master. Returns false at the end of the
 * output: EIO is how a pty master says no slave is left, a normal end.
 */
static bool copy_output(struct run *r, const struct opts *o)
{
	char buf[READ_CHUNK];

	for (;;) {
		ssize_t n = read(r->master, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		write_out(r, buf, (size_t)n);
		if (o->wait_for && !r->seen && text_seen(r, o->wait_for, buf, (size_t)n)) {
			r->seen = true;
			fflush(stdout);
			act(r, o);
		}
	}
}

static int ms_left(const struct run *r)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (r->deadline.tv_sec - now.tv_sec) * 1000LL +
	     (r->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

/* Output until COMMAND exits (true) or the deadline passes (false). */
static bool pump(struct run *r, const struct opts *o)
{
	struct pollfd fds[2] = {
		{ .fd = r->master, .events = POLLIN },
		{ .fd = r->pidfd, .events = POLLIN },
	};

	for (;;) {
		int left = ms_left(r), n;

		if (!left)
			return false;
		n = poll(fds, 2, left);
		if (n < 0 && errno != EINTR)
			setup_fail("poll");
		if (n > 0 && fds[0].revents && !copy_output(r, o))
			fds[0].fd = -1;	/* no more output; wait for the exit alone */
		if (n > 0 && fds[1].revents)
			return true;
	}
}

/* The last of COMMAND's output: read until the pty stays quiet a while. */
static void drain(struct run *r, const struct opts *o)
{
	struct pollfd p = { .fd = r->master, .events = POLLIN };

	while (poll(&p, 1, DRAIN_QUIET_MS) > 0 && copy_output(r, o))
		;
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static tcflag_t flag_field(const struct termios *t, size_t off)
{
	return *(const tcflag_t *)((const char *)t + off);
}

/* Compare the terminal now with the recorded cooked mode; say what differs. */
static bool terminal_restored(struct run *r)
{
	struct termios now;
	bool ok = true;

	if (tcgetattr(r->slave, &now)) {
		say(r, "terminal NOT restored: cannot read it: %s", strerror(errno));
		return false;
	}
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		tcflag_t a = flag_field(&r->cooked, flags[i].off), b = flag_field(&now, flags[i].off);

		if (a != b) {
			say(r, "terminal NOT restored: %s 0x%x -> 0x%x", flags[i].name,
			    (unsigned int)a, (unsigned int)b);
			ok = false;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(ccs); i++) {
		cc_t a = r->cooked.c_cc[ccs[i].idx], b = now.c_cc[ccs[i].idx];

		if (a != b) {
			say(r, "terminal NOT restored: %s %u -> %u", ccs[i].name, a, b);
			ok = false;
		}
	}
	if (ok)
		say(r, "terminal restored");
	return ok;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct run r = { .at_line_start = true };
	bool exited, restored, ok;
	int status;

	parse_args(argc, argv, &o);
	if (o.wait_for && !(r.tail = malloc(strlen(o.wait_for) + READ_CHUNK)))
		setup_fail("malloc");
	open_pty(&r);
	clock_gettime(CLOCK_MONOTONIC, &r.deadline);
	r.deadline.tv_sec += o.timeout_s;
	start_child(&r, o.argv);
	exited = pump(&r, &o);
	if (!exited) {
		say(&r, "timeout: %s still running after %u s; killing it", o.argv[0], o.timeout_s);
		kill(r.pid, SIGKILL);
	}
	drain(&r, &o);
	status = wait_status(r.pid);
	ok = exited;
	if (o.wait_for && !r.seen) {
		say(&r, "never saw '%s'; terminal mode while running not checked", o.wait_for);
		ok = false;
	} else if (o.wait_for && !r.raw_ok) {
		ok = false;
	}
	restored = terminal_restored(&r);
	say(&r, "exit %d", status);
	return ok && restored ? 0 : 1;
}
