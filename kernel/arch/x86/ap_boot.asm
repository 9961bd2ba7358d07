; ap_boot.asm: the first instructions of an application processor. smp.c
; copies this block to AP_TRAMPOLINE_ADDR (below 1 MiB: a start-up IPI names
; a 4 KiB page there) and fills its mailbox; the AP wakes in real mode at the
; block's first byte, switches to protected mode with a GDT of its own (the
; same flat selectors as the kernel's), turns on paging with the boot CPU's
; page directory and x87/SSE as entry.asm does for the boot CPU, and calls
; ap_main(cpu index) on the stack the mailbox names.
bits 16

AP_TRAMPOLINE_ADDR equ 0x7000      ; same value as smp.c: free once the kernel runs
%define TR(label) (AP_TRAMPOLINE_ADDR + (label) - ap_trampoline_start)

section .rodata
global ap_trampoline_start, ap_trampoline_end, ap_mailbox
align 16
ap_trampoline_start:
    cli
    cld
    xor ax, ax
    mov ds, ax
    lgdt [TR(tramp_gdt_ptr)]
    mov eax, cr0
    or eax, 1                       ; PE
    mov cr0, eax
    jmp dword 0x08:TR(protected)

bits 32
protected:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov eax, cr4
    or eax, (1 << 4) | (1 << 9) | (1 << 10) ; PSE (4 MiB pages), OSFXSR, OSXMMEXCPT
    mov cr4, eax
    mov eax, [TR(mb_cr3)]
    mov cr3, eax
    mov eax, cr0
    and eax, ~((1 << 2) | (1 << 29) | (1 << 30)) ; EM off (x87 is real); CD, NW off (INIT sets them)
    or eax, (1 << 1) | (1 << 5) | (1 << 16) | (1 << 31) ; MP, NE, WP, PG
    mov cr0, eax
    fninit
    mov esp, [TR(mb_stack_top)]
    sub esp, 12                     ; 16-byte aligned at the call
    push dword [TR(mb_cpu)]
    call [TR(mb_entry)]             ; ap_main does not return
.halt:
    cli
    hlt
    jmp .halt

align 8
tramp_gdt:
    dq 0
    dq 0x00cf9a000000ffff           ; 0x08: code, base 0, 4 GiB, 32-bit
    dq 0x00cf92000000ffff           ; 0x10: data, base 0, 4 GiB
tramp_gdt_ptr:
    dw 3 * 8 - 1
    dd TR(tramp_gdt)

; Filled by smp.c before each start-up IPI (struct ap_mailbox).
align 4
ap_mailbox:
mb_cr3:       dd 0
mb_stack_top: dd 0
mb_entry:     dd 0
mb_cpu:       dd 0
ap_trampoline_end:

section .note.GNU-stack noalloc noexec nowrite progbits
