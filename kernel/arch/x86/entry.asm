; entry.asm: the kernel's first instructions. Stage 2 jumps here in 32-bit
; protected mode with EAX = boot-info magic, EBX = boot-info address. Zeroes
; .bss, sets up the boot stack, turns on x87/SSE (the C code is compiled with
; SSE2, so nothing in C may run before this) and calls kmain(magic, info).
bits 32

extern kmain
extern __bss_start
extern __bss_end

section .text.entry
global _start
_start:
    cli
    cld
    mov esi, eax                    ; keep magic and info across cpuid
    mov ebp, ebx

    mov edi, __bss_start
    mov ecx, __bss_end
    sub ecx, edi
    xor eax, eax
    rep stosb
    mov esp, boot_stack_top

    mov eax, 1
    cpuid
    test edx, 1 << 26               ; SSE2 is the floor of the build
    jz .no_sse2
    mov eax, cr0
    and eax, ~(1 << 2)              ; EM off: x87 is real
    or eax, (1 << 1) | (1 << 5)     ; MP, NE: native FPU error reporting
    mov cr0, eax
    mov eax, cr4
    or eax, (1 << 9) | (1 << 10)    ; OSFXSR, OSXMMEXCPT
    mov cr4, eax
    fninit

    sub esp, 8                      ; the C ABI wants ESP 16-byte aligned at calls
    push ebp
    push esi
    call kmain
.halt:
    cli
    hlt
    jmp .halt

.no_sse2:                           ; no console yet: write straight to VGA
    mov edi, 0xb8000                ; clear the screen the BIOS left behind
    mov ecx, 80 * 25
    mov eax, 0x0720                 ; grey space
    rep stosw
    mov esi, msg_no_sse2
    mov edi, 0xb8000
.putc:
    lodsb
    test al, al
    jz .halt
    mov ah, 0x4f
    stosw
    jmp .putc

section .rodata
msg_no_sse2: db "MyOS needs a CPU with SSE2", 0

; Placed first in .bss by the linker script, page aligned: the guard page
; stays unmapped (paging.c), so running off the stack faults.
section .bss.stack nobits alloc write align=4096
global boot_stack_guard, boot_stack, boot_stack_top
boot_stack_guard:
    resb 4096
boot_stack:
    resb 256 * 1024
boot_stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
