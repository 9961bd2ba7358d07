/* cmd_ai.c: `ai PROMPT` (one answer) and `chat` (a conversation), streamed
 * token by token, word-wrapped, to VGA and serial; Ctrl+C stops at the next
 * token (or the prompt at its next batch). The answer stands out (a marker
 * glyph, a highlight colour) and a dimmed status line follows it; on serial
 * only with `set color 1`, so that plain serial output is the text alone. */
#include "shell/command.h"
#include "shell/lineedit.h"
#include "shell/shell.h"
#include "ai/model.h"
#include "ai/settings.h"
#include "ai/wrap.h"
#include "drivers/console.h"
#include "lib/string.h"

#define CHAT_PROMPT "you> "

/* An answer on its way to the screen. */
struct shown {
    struct wrap wrap;
    int marked; /* the marker is out: text has begun */
};

/* The engine's streaming callback: shows the piece (the first one after the
 * marker), asks to stop on Ctrl+C. */
static int emit(void *user, const char *text, size_t len)
{
    struct shown *v = user;
    if (len && !v->marked) {
        console_begin_answer();
        v->marked = 1;
    }
    wrap_write(&v->wrap, text, len);
    return console_poll_cancel();
}

static void print_ids(const char *label, const int32_t *ids, uint32_t n)
{
    kprintf("%s:", label);
    for (uint32_t i = 0; i < n; i++)
        kprintf(" %ld", (long)ids[i]);
    kprintf("\n");
}

/* Generates one answer in session s; 0, or -1 after an error line. */
static int answer(llm_session *s, const char *prompt, size_t len)
{
    struct shown v = { .marked = 0 };
    struct llm_result r;
    char err[200];
    uint32_t pos_before = llm_session_pos(s);
    console_serial_colors(ai_settings()->color);
    wrap_begin(&v.wrap, CONSOLE_MARKER_COLS);
    int rc = llm_generate(s, prompt, len, emit, &v, &r, err, sizeof err);
    wrap_end(&v.wrap);
    if (rc != 0) {
        console_set_style(CONSOLE_PLAIN);
        kprintf("error: %s\n", err);
        return -1;
    }
    console_set_style(CONSOLE_DIM);
    if (r.stop == LLM_STOP_CALLBACK)
        kprintf("^C (stopped)\n");
    else if (r.stop == LLM_STOP_CONTEXT)
        kprintf("(the context is full: 'set ctx' allows more)\n");
    /* Fewer positions than this call added: the oldest turns were dropped. */
    if (llm_session_pos(s) < pos_before + r.prompt_tokens + (r.gen_tokens ? r.gen_tokens - 1 : 0))
        kprintf("(context full: the oldest turns were forgotten)\n");
    if (r.stop == LLM_STOP_CALLBACK && r.prompt_tokens == 0) {
        /* The engine forgets a prompt stopped before its end: no figures to give. */
        kprintf("[0 tokens | stopped during the prompt, after %.1f s]\n", (double)r.prompt_ns / 1e9);
    } else {
        double rate = r.gen_ns ? r.gen_tokens * 1e9 / (double)r.gen_ns : 0;
        kprintf("[%lu tokens | %.1f tok/s | prompt %lu tok in %.1f s]\n", (unsigned long)r.gen_tokens,
                rate, (unsigned long)r.prompt_tokens, (double)r.prompt_ns / 1e9);
    }
    console_set_style(CONSOLE_PLAIN);
    if (ai_settings()->show_ids) {
        print_ids("prompt_ids", r.prompt_ids, r.n_prompt_ids);
        print_ids("generated_ids", r.gen_ids, r.n_gen_ids);
    }
    return 0;
}

/* Only spaces and tabs: nothing to ask. */
static int is_blank(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return *s == 0;
}

static int cmd_ai(int argc, char **argv)
{
    if (argc < 2 || is_blank(argv[1])) {
        kprintf("error: empty prompt (usage: ai PROMPT)\n");
        return -1;
    }
    llm_session *s = ai_model_session();
    if (!s)
        return -1;
    llm_session_reset(s); /* one answer: no earlier conversation */
    return answer(s, argv[1], strlen(argv[1]));
}
SHELL_TEXT_COMMAND(ai, 0, "ai PROMPT: one answer from the current model", cmd_ai);

static int cmd_chat(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        kprintf("error: chat takes no arguments (type your turns after '" CHAT_PROMPT "')\n");
        return -1;
    }
    llm_session *s = ai_model_session();
    if (!s)
        return -1;
    struct llm_model_info info;
    llm_model_get_info(ai_model_current(), &info);
    if (!info.has_chat_template) {
        kprintf("error: %s has no chat template: use 'ai' for a completion\n", ai_model_name());
        return -1;
    }
    llm_session_reset(s);
    kprintf("chat with %s: '/reset' forgets the conversation, '/bye' leaves\n", ai_model_name());
    static char line[SHELL_LINE_MAX];
    for (;;) {
        enum lineedit_result lr = lineedit_read(CHAT_PROMPT, line, sizeof line);
        if (lr == LINE_CANCELLED)
            return 0;
        if (lr == LINE_TOO_LONG) {
            kprintf("error: line too long (at most %d characters), ignored\n", SHELL_LINE_MAX - 1);
            continue;
        }
        if (!strcmp(line, "/bye"))
            return 0;
        if (!strcmp(line, "/reset")) {
            llm_session_reset(s);
            kprintf("(conversation forgotten)\n");
            continue;
        }
        if (!is_blank(line))
            answer(s, line, strlen(line));
    }
}
SHELL_COMMAND(chat, "chat: a conversation that remembers ('/reset', '/bye')", cmd_chat);
