// SPDX-License-Identifier: MIT
/*
 * completion/tinyvmm.bash against the real option table (vmm/cli.c) and the
 * real help texts (tinyvmm --help, tinyvmm tap --help), so the completion
 * cannot drift from the program: an option, sub-command or enumerated value
 * added to tinyvmm without its completion line fails here, and the failure
 * names the line to add.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/cli.h"
#include "vmm/tap_cmd.h"

#define SCRIPT "completion/tinyvmm.bash"
#define WORD 128

static char *read_all(FILE *f)
{
	size_t cap = 4096, len = 0, n;
	char *buf = malloc(cap);

	cr_assert_not_null(buf);
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
	}
	buf[len] = '\0';
	return buf;
}

static char *script_text(void)
{
	FILE *f = fopen(TINYVMM_COMPLETION_FILE, "r");
	char *text;

	cr_assert_not_null(f, "cannot open %s", TINYVMM_COMPLETION_FILE);
	text = read_all(f);
	fclose(f);
	return text;
}

/* What PRINT writes to stdout. */
static char *captured(void (*print)(void))
{
	FILE *f = tmpfile();
	int saved = dup(STDOUT_FILENO);
	char *text;

	cr_assert_not_null(f);
	cr_assert_geq(saved, 0);
	fflush(stdout);
	cr_assert_geq(dup2(fileno(f), STDOUT_FILENO), 0);
	print();
	fflush(stdout);
	cr_assert_geq(dup2(saved, STDOUT_FILENO), 0);
	close(saved);
	rewind(f);
	text = read_all(f);
	fclose(f);
	return text;
}

static void print_tap_help(void)
{
	char *argv[] = { "tap", "--help" };

	tap_command(2, argv);
}

static const char *next_line(const char *line)
{
	const char *nl = strchr(line, '\n');

	return nl ? nl + 1 : NULL;
}

/* The body of the shell variable NAME='...' in the script. */
static char *script_list(const char *script, const char *name)
{
	char head[WORD];
	const char *start, *end;

	snprintf(head, sizeof(head), "\n%s='", name);
	start = strstr(script, head);
	cr_assert_not_null(start, SCRIPT " has no %s='...'", name);
	start += strlen(head);
	end = strchr(start, '\'');
	cr_assert_not_null(end);
	return strndup(start, (size_t)(end - start));
}

/* The N-th whitespace-separated word of TEXT into OUT; false past the end. */
static bool word_at(const char *text, size_t n, char out[WORD])
{
	size_t len;

	for (;;) {
		text += strspn(text, " \t\n");
		if (!*text)
			return false;
		len = strcspn(text, " \t\n");
		if (n-- == 0)
			break;
		text += len;
	}
	cr_assert_lt(len, (size_t)WORD);
	memcpy(out, text, len);
	out[len] = '\0';
	return true;
}

/*
 * LIST has a line "OPTION VALUE" or "OPTION": true, with VALUE (or "") in
 * OUT. The lists are one option a line.
 */
static bool list_value(const char *list, const char *option, char out[WORD])
{
	size_t len = strlen(option);

	for (const char *line = list; line && *line; line = next_line(line)) {
		const char *end = strchr(line, '\n');
		size_t line_len = end ? (size_t)(end - line) : strlen(line);
		char copy[WORD * 2];

		if (line_len <= len ? line_len != len : line[len] != ' ')
			continue;
		if (strncmp(line, option, len))
			continue;
		cr_assert_lt(line_len, sizeof(copy));
		memcpy(copy, line, line_len);
		copy[line_len] = '\0';
		if (!word_at(copy, 1, out))
			out[0] = '\0';
		return true;
	}
	return false;
}

/*
 * The help's line for OPTION: a line whose first word is OPTION. Its
 * value (when the option takes one) is the next word.
 */
static const char *help_line(const char *help, const char *option)
{
	char first[WORD];

	for (const char *line = help; line && *line; line = next_line(line)) {
		if (word_at(line, 0, first) && !strcmp(first, option))
			return line;
	}
	return NULL;
}

/* "[--opt VALUE]" pieces of a usage line, as "--opt VALUE\n" lines. */
static char *usage_options(const char *line)
{
	char *out = calloc(1, 1024), *p;
	const char *end = strchr(line, '\n');
	size_t used = 0;

	cr_assert_not_null(out);
	while ((line = strstr(line, "[--")) && (!end || line < end)) {
		p = strchr(line, ']');
		cr_assert_not_null(p);
		used += (size_t)snprintf(out + used, 1024 - used, "%.*s\n", (int)(p - line - 1), line + 1);
		cr_assert_lt(used, (size_t)1024);
		line = p;
	}
	return out;
}

/* The line of TEXT that starts (after blanks and "Usage:") with "tinyvmm WORDS". */
static const char *usage_line(const char *text, const char *words)
{
	char head[WORD];

	snprintf(head, sizeof(head), "tinyvmm %s ", words);
	for (const char *line = text; line && *line; line = next_line(line)) {
		const char *p = line + strspn(line, " ");

		if (!strncmp(p, "Usage:", 6))
			p += 6 + strspn(p + 6, " ");
		if (!strncmp(p, head, strlen(head)))
			return line;
	}
	return NULL;
}

/* LIST (lines "--opt VALUE") equals the usage line's [--opt VALUE] pieces, both ways. */
static void expect_same_options(const char *list, const char *usage, const char *list_name,
				const char *usage_name)
{
	char *from_usage = usage_options(usage), option[WORD], value[WORD], want[WORD];

	for (size_t i = 0; word_at(from_usage, i, option); i += 2) {
		cr_assert(word_at(from_usage, i + 1, want));
		cr_expect(list_value(list, option, value),
			  "%s takes %s %s, which " SCRIPT " lacks. Add the line '%s %s' to %s",
			  usage_name, option, want, option, want, list_name);
		if (list_value(list, option, value))
			cr_expect_str_eq(value, want, SCRIPT " has '%s %s' in %s, the help says '%s %s'",
					 option, value, list_name, option, want);
	}
	for (size_t i = 0; word_at(list, i, option); i++) {
		if (option[0] != '-')
			continue;
		cr_expect(list_value(from_usage, option, value),
			  SCRIPT " offers %s in %s, which %s does not take. Remove its line",
			  option, list_name, usage_name);
	}
	free(from_usage);
}

/* The parse of "tinyvmm --kernel Image --tap tap0 OPTION VALUE" (a NIC: the net options need one). */
static int parse_with(const char *option, const char *value, struct tvm_error *err)
{
	char *argv[] = { "tinyvmm", "--kernel", "Image", "--tap", "tap0", (char *)option, (char *)value };
	struct vm_config cfg;
	enum cli_action action;

	cli_defaults(&cfg);
	memset(err, 0, sizeof(*err));
	return cli_parse(7, argv, &cfg, &action, err);
}

static bool has_word(const char *words, const char *word)
{
	char w[WORD];

	for (size_t i = 0; word_at(words, i, w); i++) {
		if (!strcmp(w, word))
			return true;
	}
	return false;
}

static bool is_enumeration(const char *value)
{
	for (; *value; value++) {
		if (isupper((unsigned char)*value))
			return false;
	}
	return true;
}

Test(completion, every_option_of_the_table_is_completed_as_the_help_writes_it)
{
	char *script = script_text(), *list = script_list(script, "_tinyvmm_run_options");
	char *help = captured(cli_print_help), option[WORD], want[WORD], have[WORD];
	const char *name, *line;
	bool takes_value;
	size_t count = 0;

	for (size_t i = 0; (name = cli_option_name(i, &takes_value)); i++, count++) {
		snprintf(option, sizeof(option), "--%s", name);
		line = help_line(help, option);
		/* An alias is documented as one ("alias --append") on its option's line. */
		cr_expect(line || strstr(help, option), "%s is in vmm/cli.c's option table but not in "
			  "tinyvmm --help. Document it in cli_print_help (vmm/cli.c)", option);
		if (!(line && takes_value && word_at(line, 1, want)))
			snprintf(want, sizeof(want), "%s", takes_value ? "VALUE" : "");
		if (!list_value(list, option, have)) {
			cr_expect_fail("%s is in vmm/cli.c's option table but not in " SCRIPT
				       ". Add the line '%s%s%s' to _tinyvmm_run_options there",
				       option, option, *want ? " " : "", want);
			continue;
		}
		cr_expect(takes_value == (*have != '\0'), "%s %s (vmm/cli.c), but " SCRIPT
			  " has '%s%s%s'. Write it '%s%s%s'", option,
			  takes_value ? "takes a value" : "takes no value",
			  option, *have ? " " : "", have, option, *want ? " " : "", want);
		if (line && takes_value)
			cr_expect_str_eq(have, want, SCRIPT " has '%s %s', tinyvmm --help '%s %s'. "
					 "Write it as the help does", option, have, option, want);
	}
	cr_assert_gt(count, 30, "the option table has only %zu options", count);
	free(help);
	free(list);
	free(script);
}

Test(completion, offers_no_option_the_table_lacks)
{
	char *script = script_text(), *list = script_list(script, "_tinyvmm_run_options");
	char option[WORD];
	const char *name;
	bool takes_value, found;

	for (size_t i = 0; word_at(list, i, option); i++) {
		if (strncmp(option, "--", 2))
			continue;
		found = false;
		for (size_t j = 0; (name = cli_option_name(j, &takes_value)); j++)
			found |= !strcmp(name, option + 2);
		cr_expect(found, SCRIPT " offers %s, which vmm/cli.c's option table does not have. "
			  "Remove its line from _tinyvmm_run_options", option);
	}
	free(list);
	free(script);
}

/* Each value an enumeration offers parses, and a made-up one does not. */
Test(completion, offers_the_values_tinyvmm_accepts)
{
	char *script = script_text(), *list = script_list(script, "_tinyvmm_run_options");
	char option[WORD], value[WORD], *v, *save;
	struct tvm_error err;
	size_t enumerations = 0;

	for (size_t i = 0; word_at(list, i, option); i++) {
		if (strncmp(option, "--", 2) || !list_value(list, option, value) || !*value)
			continue;
		if (!is_enumeration(value))
			continue;
		enumerations++;
		for (v = strtok_r(value, "|", &save); v; v = strtok_r(NULL, "|", &save))
			cr_expect_eq(parse_with(option, v, &err), 0, SCRIPT " offers '%s %s', which "
				     "tinyvmm rejects: %s", option, v, err.msg);
		cr_expect_neq(parse_with(option, "no-such-value", &err), 0, "%s takes any value, not "
			      "only those " SCRIPT " offers: write its value in capitals (a "
			      "placeholder, e.g. FILE) in tinyvmm --help and there", option);
	}
	cr_assert_geq(enumerations, 6, "only %zu enumerated options found", enumerations);
	free(list);
	free(script);
}

Test(completion, has_the_sub_commands_and_their_options)
{
	char *script = script_text(), *help = captured(cli_print_help);
	char *tap_help = captured(print_tap_help), *commands = script_list(script, "_tinyvmm_commands");
	char *tap_commands = script_list(script, "_tinyvmm_tap_commands");
	char *check = script_list(script, "_tinyvmm_check_options");
	char *create = script_list(script, "_tinyvmm_tap_create_options");
	char word[WORD], head[WORD];
	const char *line;
	size_t n = 0;

	/* Every "tinyvmm WORD ..." usage line of the help is a sub-command. */
	for (line = help; line && *line; line = next_line(line)) {
		const char *p = line + strspn(line, " ");

		if (!strncmp(p, "Usage:", 6))
			p += 6;
		if (!word_at(p, 0, head) || strcmp(head, "tinyvmm") || !word_at(p, 1, word) ||
		    word[0] == '-')
			continue;
		n++;
		cr_expect(has_word(commands, word), "tinyvmm --help has the sub-command '%s', which "
			  SCRIPT "'s _tinyvmm_commands lacks. Add it there, and a list of its options",
			  word);
	}
	cr_expect_eq(n, 2, "%zu sub-commands in tinyvmm --help, " SCRIPT " has '%s'", n, commands);

	line = usage_line(help, "check");
	cr_assert_not_null(line, "tinyvmm --help has no 'tinyvmm check' line");
	expect_same_options(check, line, "_tinyvmm_check_options", "tinyvmm check");

	line = usage_line(help, "tap");
	cr_assert_not_null(line, "tinyvmm --help has no 'tinyvmm tap' line");
	cr_assert(word_at(line + strspn(line, " "), 2, word));
	snprintf(head, sizeof(head), "%s", tap_commands);
	for (char *c = head; *c; c++)
		*c = *c == ' ' ? '|' : *c;
	cr_expect_str_eq(head, word, "tinyvmm --help has 'tinyvmm tap %s', " SCRIPT
			 " _tinyvmm_tap_commands='%s'", word, tap_commands);

	line = usage_line(tap_help, "tap create");
	cr_assert_not_null(line, "tinyvmm tap --help has no 'tinyvmm tap create' line");
	expect_same_options(create, line, "_tinyvmm_tap_create_options", "tinyvmm tap create");

	free(create);
	free(check);
	free(tap_commands);
	free(commands);
	free(tap_help);
	free(help);
	free(script);
}
