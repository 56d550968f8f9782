/* insn_count: a QEMU TCG plugin that counts the guest instructions executed between two
 * addresses, for instruction counts that are exact and repeatable (QEMU counts instructions,
 * not cycles).
 *
 *   qemu-system-arm ... -plugin libinsn_count.so,from=0xADDR,to=0xADDR,out=FILE
 *
 * Counting starts when the instruction at `from` executes (it is counted) and stops when the
 * instruction at `to` executes (it is not); several such windows add up. FILE (default:
 * stderr) receives one line: "instructions=N windows=W". Thumb addresses may be given with
 * their low bit set.
 *
 * Debian's QEMU does not install qemu-plugin.h, so the few declarations needed from plugin
 * API version 1 (QEMU 7.x) are written out here. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*tb_trans_cb)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*insn_exec_cb)(unsigned int vcpu, void *data);
typedef void (*exit_cb)(qemu_plugin_id_t, void *data);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, tb_trans_cb);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *, insn_exec_cb,
                                            enum qemu_plugin_cb_flags, void *);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *, enum qemu_plugin_op,
                                                void *, uint64_t);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, exit_cb, void *);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *, size_t);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *);

#define EXPORT __attribute__((visibility("default")))
EXPORT int qemu_plugin_version = 1;

static uint64_t executed;   /* every guest instruction, bumped inline by generated code */
static uint64_t opened_at;  /* `executed` when the current window opened */
static uint64_t counted;    /* instructions in closed windows */
static uint64_t windows;
static int open_window;
static uint64_t from_addr, to_addr;
static const char *out_file;

static void window_open(unsigned int vcpu, void *data)
{
    (void)vcpu;
    (void)data;
    if (!open_window) {
        open_window = 1;
        opened_at = executed;
    }
}

static void window_close(unsigned int vcpu, void *data)
{
    (void)vcpu;
    (void)data;
    if (open_window) {
        open_window = 0;
        counted += executed - opened_at;
        ++windows;
    }
}

/* Called once per translated block: instrument each instruction. The marker callbacks are
 * registered before the inline increment, so they see the count excluding the marker
 * instruction itself: `from` is inside the window, `to` outside. */
static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t i, n = qemu_plugin_tb_n_insns(tb);
    (void)id;
    for (i = 0; i < n; ++i) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        if (pc == from_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, window_open, QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
        if (pc == to_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, window_close, QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &executed, 1);
    }
}

static void report(qemu_plugin_id_t id, void *data)
{
    FILE *f = out_file ? fopen(out_file, "w") : NULL;
    (void)id;
    (void)data;
    fprintf(f ? f : stderr, "instructions=%" PRIu64 " windows=%" PRIu64 "%s\n", counted, windows,
            open_window ? " (a window never closed)" : "");
    if (f) {
        fclose(f);
    }
}

static int parse_address(const char *text, uint64_t *out)
{
    char *end;
    *out = strtoull(text, &end, 0) & ~(uint64_t)1;
    return *text != '\0' && *end == '\0';
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc, char **argv)
{
    int i, have_from = 0, have_to = 0;
    (void)info;
    for (i = 0; i < argc; ++i) {
        const char *arg = argv[i];
        if (strncmp(arg, "from=", 5) == 0) {
            have_from = parse_address(arg + 5, &from_addr);
        } else if (strncmp(arg, "to=", 3) == 0) {
            have_to = parse_address(arg + 3, &to_addr);
        } else if (strncmp(arg, "out=", 4) == 0) {
            out_file = arg + 4;
        } else {
            fprintf(stderr, "insn_count: unknown argument '%s'\n", arg);
            return -1;
        }
    }
    if (!have_from || !have_to) {
        fprintf(stderr, "insn_count: needs from=ADDRESS and to=ADDRESS\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, report, NULL);
    return 0;
}
