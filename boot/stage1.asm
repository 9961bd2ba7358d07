; stage1.asm: the MBR boot sector. The BIOS loads it at 0x7c00; it loads stage 2
; (STAGE2_SECTORS sectors from LBA 1) to 0x7e00 with the int 13h extensions and
; jumps there with the boot drive in DL. Bytes 446..509 are the partition table,
; written by the image builder, so this code must stay below 446 bytes.
bits 16
org 0x7c00

%include "boot/layout.inc"

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    jmp 0:normalized                ; some BIOSes enter at 07c0:0000
normalized:
    cld
    mov [drive], dl

    mov ah, 0x41                    ; are the LBA extensions there?
    mov bx, 0x55aa
    int 0x13
    jc no_ext
    cmp bx, 0xaa55
    jne no_ext
    test cx, 1                      ; bit 0: packet-based access (AH=42h)
    jz no_ext

    mov si, dap
    mov ah, 0x42
    mov dl, [drive]
    int 0x13
    jc disk_error
    mov dl, [drive]
    jmp 0:STAGE2_ADDR

no_ext:
    mov si, msg_no_ext
    jmp fail
disk_error:
    mov si, msg_disk
fail:
    lodsb
    test al, al
    jz .halt
    mov ah, 0x0e
    mov bx, 7
    int 0x10
    jmp fail
.halt:
    cli
    hlt
    jmp .halt

drive: db 0
dap:                                ; int 13h disk address packet
    db 16, 0
    dw STAGE2_SECTORS
    dw STAGE2_ADDR, 0               ; offset, segment
    dq 1                            ; first LBA

msg_no_ext: db "MyOS boot: BIOS has no int 13h LBA extensions", 0
msg_disk:   db "MyOS boot: disk read error while loading stage 2", 0

    times 446 - ($ - $$) db 0
    times 64 db 0                   ; partition table (image builder)
    dw 0xaa55
