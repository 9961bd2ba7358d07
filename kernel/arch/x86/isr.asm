; isr.asm: entry stubs for the 32 CPU exceptions, the 16 PIC IRQs and the two
; local APIC vectors. Each exception or IRQ stub
; pushes a uniform frame (struct int_frame in interrupts.h) and calls C.
; IRQ handlers may be interrupted code's SSE/AVX state users (the inference
; engine runs SIMD in ring 0), so the IRQ path saves the full FPU/SSE/AVX state
; with xsave (or fxsave without AVX) before calling C and restores it after.
; Exceptions panic and never return, so they skip that.
bits 32

extern exception_dispatch
extern irq_dispatch
extern fpu_use_xsave
extern fpu_area_size
extern double_fault_task

section .text

%macro EXC_NOERR 1
exc_stub_%1:
    push dword 0
    push dword %1
    jmp exception_common
%endmacro

%macro EXC_ERR 1
exc_stub_%1:
    push dword %1                   ; the CPU pushed the error code
    jmp exception_common
%endmacro

%macro IRQ 1
irq_stub_%1:
    push dword 0
    push dword %1 + 32
    jmp irq_common
%endmacro

EXC_NOERR 0
EXC_NOERR 1
EXC_NOERR 2
EXC_NOERR 3
EXC_NOERR 4
EXC_NOERR 5
EXC_NOERR 6
EXC_NOERR 7
EXC_ERR   8
EXC_NOERR 9
EXC_ERR   10
EXC_ERR   11
EXC_ERR   12
EXC_ERR   13
EXC_ERR   14
EXC_NOERR 15
EXC_NOERR 16
EXC_ERR   17
EXC_NOERR 18
EXC_NOERR 19
EXC_NOERR 20
EXC_ERR   21
EXC_NOERR 22
EXC_NOERR 23
EXC_NOERR 24
EXC_NOERR 25
EXC_NOERR 26
EXC_NOERR 27
EXC_NOERR 28
EXC_ERR   29
EXC_ERR   30
EXC_NOERR 31

%assign i 0
%rep 16
IRQ i
%assign i i + 1
%endrep

%macro SAVE_SEGMENTS 0
    pusha
    push ds
    push es
    push fs
    push gs
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    cld
%endmacro

; C code compiled with SSE keeps 16-byte aligned stack slots (movdqa): ESP
; must be 16-byte aligned at every call into C.
exception_common:
    SAVE_SEGMENTS
    mov ebx, esp
    and esp, -16
    sub esp, 12
    push ebx                        ; struct int_frame *
    call exception_dispatch         ; does not return

irq_common:
    SAVE_SEGMENTS
    mov ebx, esp                    ; the frame
    mov ebp, esp                    ; callee-saved: survives the C call
    sub esp, [fpu_area_size]
    and esp, -64
    cmp byte [fpu_use_xsave], 0
    je .fxsave
    ; xrstor faults on a non-zero reserved header, so clear the 64-byte
    ; header (offset 512) of the stack area before saving.
    lea edi, [esp + 512]
    mov ecx, 16
    xor eax, eax
    rep stosd
    mov eax, -1                     ; every enabled component
    mov edx, -1
    xsave [esp]
    jmp .saved
.fxsave:
    fxsave [esp]
.saved:
    sub esp, 12                     ; keeps the call 16-byte aligned
    push ebx
    call irq_dispatch
    add esp, 16
    cmp byte [fpu_use_xsave], 0
    je .fxrstor
    mov eax, -1
    mov edx, -1
    xrstor [esp]
    jmp .restored
.fxrstor:
    fxrstor [esp]
.restored:
    mov esp, ebp
    pop gs
    pop fs
    pop es
    pop ds
    popa
    add esp, 8                      ; vector and error code
    iret

; The wake-up IPI only ends an AP's hlt (parallel.c): acknowledge it and
; return, touching no FPU/SSE state. A spurious APIC interrupt needs no EOI.
extern apic_eoi_register
global apic_wake_stub, apic_spurious_stub
apic_wake_stub:
    push eax
    mov eax, [apic_eoi_register]
    mov dword [eax], 0
    pop eax
    iret
apic_spurious_stub:
    iret

; First instruction of the double-fault task (tss.c), on its own stack.
global double_fault_entry
double_fault_entry:
    clts                            ; the task switch set CR0.TS: SSE would raise #NM
    add esp, 4                      ; the error code (always 0)
    and esp, -16
    call double_fault_task          ; does not return

section .rodata
global isr_stub_table
isr_stub_table:
%assign i 0
%rep 32
    dd exc_stub_ %+ i
%assign i i + 1
%endrep
%assign i 0
%rep 16
    dd irq_stub_ %+ i
%assign i i + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
