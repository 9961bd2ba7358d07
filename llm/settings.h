/* settings.h: tables of settings (name, type, default, range, one line of
 * help, where the value lives), and the one parser and checker of their
 * values. The engine's own table describes struct llm_settings; the shell's
 * `set`, myos-llm's options and llm_session_create all go through it, so the
 * OS and the host program accept exactly the same values and parse them to
 * the same bits. Other parts keep their own tables of the same rows (the
 * shell's display settings) and use the same functions. Included by llm.h;
 * needs nothing from it. */
#ifndef LLM_SETTINGS_H
#define LLM_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

enum llm_setting_type {
    LLM_SETTING_FLOAT, /* a float: any decimal number in [lo, hi] */
    LLM_SETTING_INT,   /* an int32_t: a whole number in [lo, hi] */
    LLM_SETTING_U64,   /* a uint64_t: decimal digits, 0 to 2^64 - 1 (lo, hi unused) */
    LLM_SETTING_TARGETS, /* an int32_t set of LoRA targets, written "q,v" (bit t: target t of
                          * train/lora.h; lo, hi bound the bits as a number) */
};

struct llm_setting {
    const char *name;   /* the shell's `set NAME`, the files' and the API's key */
    enum llm_setting_type type;
    double def, lo, hi; /* default (U64: below 2^32) and accepted range, ends included */
    size_t offset;      /* of the value in the structure the table describes */
    const char *help;   /* one line, lower case, no final period */
};

/* Longest text llm_setting_format or llm_setting_range writes, NUL included. */
#define LLM_SETTING_TEXT_MAX 48

/* The rows of struct llm_settings (sampling, new tokens, context), in the
 * order `set` shows them; a row with a NULL name ends it. */
extern const struct llm_setting llm_session_settings[];

/* The row called `name` in `table` (NULL-name terminated), or NULL. */
const struct llm_setting *llm_setting_find(const struct llm_setting *table, const char *name);

/* Parses `text` as row st's value and stores it in `values` (the structure
 * the table describes). A refused value changes nothing: -1 and one line in
 * err, "LABEL: ... (LO to HI)", LABEL being `label` or else the row's name. */
int llm_setting_parse(const struct llm_setting *st, const char *text, const char *label, void *values, char *err,
                      size_t errlen);

/* 0 when row st's value in `values` is within its range, else -1 and one
 * line in err naming the row, the value and the range. */
int llm_setting_check(const struct llm_setting *st, const void *values, char *err, size_t errlen);

/* The value as `set` shows it and llm_setting_parse reads it back: floats in
 * the fewest digits (%.6g, else %.9g) that give the same float. */
void llm_setting_format(const struct llm_setting *st, const void *values, char *buf, size_t n);

/* The accepted range as the errors write it: "0 to 1". */
void llm_setting_range(const struct llm_setting *st, char *buf, size_t n);

/* Stores every row's default in `values`. */
void llm_setting_defaults(const struct llm_setting *table, void *values);

/* [+-]digits[.digits][(e|E)[+-]digits], the whole text: 0 and *out, else -1.
 * Correctly rounded (as strtod) whenever the digits without the point are
 * below 2^53 and the decimal exponent within +-22: every ordinary setting. */
int llm_parse_decimal(const char *text, double *out);

#endif
