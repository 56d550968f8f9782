/* Bare-metal start-up for running test programs on a Cortex-M4F under QEMU (machine
 * mps2-an386) with semihosting: the vector table, a reset handler that turns on the FPU,
 * copies .data from flash to RAM, clears .bss, opens the semihosting console (newlib's
 * librdimon) and calls main, and fault handlers that report and exit with status 1 instead
 * of hanging until a timeout. Used with cortex-m4.ld; link with -nostartfiles and
 * --specs=rdimon.specs. */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_top[];
extern void initialise_monitor_handles(void);
int main(void);

void reset_handler(void);
void fault_handler(void);
void _init(void);
void _fini(void);

/* newlib's exit() runs the .fini_array through _fini, which the skipped crti.o would define;
 * these programs have no C++ constructors or destructors, so both are empty. */
void _init(void)
{
}

void _fini(void)
{
}

/* ARMv7-M exception vectors 0..15: initial stack pointer, reset, NMI, HardFault, MemManage,
 * BusFault, UsageFault, four reserved, SVCall, DebugMonitor, reserved, PendSV, SysTick.
 * Interrupts are never enabled, so no external vectors follow. */
__attribute__((section(".vectors"), used)) const uintptr_t vector_table[16] = {
    (uintptr_t)__stack_top,
    (uintptr_t)reset_handler,
    (uintptr_t)fault_handler,
    (uintptr_t)fault_handler,
    (uintptr_t)fault_handler,
    (uintptr_t)fault_handler,
    (uintptr_t)fault_handler,
    0, 0, 0, 0,
    (uintptr_t)fault_handler,
    (uintptr_t)fault_handler,
    0,
    (uintptr_t)fault_handler,
    (uintptr_t)fault_handler,
};

/* One semihosting call (BKPT 0xAB on M-profile cores). */
static uintptr_t semihost(uintptr_t op, uintptr_t arg)
{
    register uintptr_t r0 __asm("r0") = op;
    register uintptr_t r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void fault_handler(void)
{
    semihost(0x04, (uintptr_t)"*** fault: unexpected exception on the Cortex-M4\n"); /* SYS_WRITE0 */
    semihost(0x18, 0x20024); /* SYS_EXIT, ADP_Stopped_InternalError: QEMU exits with status 1 */
    for (;;) {
    }
}

void reset_handler(void)
{
    uint32_t *src = __data_load;
    uint32_t *dst = __data_start;
    /* Full access to coprocessors 10 and 11 (the FPU) in CPACR, before any float instruction. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm volatile("dsb\n\tisb" ::: "memory");
    while (dst < __data_end) {
        *dst++ = *src++;
    }
    for (dst = __bss_start; dst < __bss_end; ++dst) {
        *dst = 0;
    }
    initialise_monitor_handles();
    exit(main());
}
