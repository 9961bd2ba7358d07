; stage2.asm: second boot stage, loaded by stage 1 at 0x7e00 with the boot drive
; in DL. Enables A20, reads the E820 memory map into the boot-info structure,
; loads the kernel to 1 MiB (BIOS reads into a low bounce buffer, copied up in
; unreal mode), enters 32-bit protected mode and jumps to the kernel with
; EAX = BOOT_INFO_MAGIC and EBX = address of the boot info.
bits 16
org 0x7e00

%include "boot/layout.inc"

    jmp short start2
    times 4 - ($ - $$) nop
; Header patched by the image builder (offsets 4, 8, 12).
hdr_magic:          dd 0x32534d59   ; "YMS2"
kernel_lba:         dd 0
kernel_sectors:     dd 0

; boot_info fields (see kernel/boot_info.h)
BI_MAGIC    equ BOOT_INFO_ADDR + 0
BI_DRIVE    equ BOOT_INFO_ADDR + 4
BI_KSECT    equ BOOT_INFO_ADDR + 8
BI_E820N    equ BOOT_INFO_ADDR + 12
BI_E820     equ BOOT_INFO_ADDR + 16

start2:
    cld
    mov [boot_drive], dl
    mov si, msg_hello
    call print

    call enable_a20
    call read_e820
    call load_kernel

    mov dword [BI_MAGIC], BOOT_INFO_MAGIC
    movzx eax, byte [boot_drive]
    mov [BI_DRIVE], eax
    mov eax, [kernel_sectors]
    mov [BI_KSECT], eax

    cli
    lgdt [gdt_desc]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp 0x08:pm_entry

; ---------------------------------------------------------------- A20
enable_a20:
    call a20_enabled
    jnz .done
    mov ax, 0x2401                  ; BIOS
    int 0x15
    call a20_enabled
    jnz .done
    in al, 0x92                     ; "fast A20" port
    or al, 2
    and al, 0xfe                    ; never pulse the reset bit
    out 0x92, al
    call a20_enabled
    jnz .done
    call kbc_wait                   ; keyboard controller output port
    mov al, 0xd1
    out 0x64, al
    call kbc_wait
    mov al, 0xdf
    out 0x60, al
    call kbc_wait
    call a20_enabled
    jnz .done
    mov si, msg_a20
    jmp fatal
.done:
    ret

kbc_wait:
    mov cx, 0xffff
.spin:
    in al, 0x64
    test al, 2
    loopnz .spin
    ret

; ZF clear when A20 is on: 0000:7dfe and ffff:7e0e are the same byte when the
; address wraps at 1 MiB.
a20_enabled:
    push ds
    push es
    xor ax, ax
    mov ds, ax
    not ax
    mov es, ax
    mov si, 0x7dfe
    mov di, 0x7e0e
    mov al, [ds:si]
    mov ah, [es:di]
    mov byte [ds:si], 0x00
    mov byte [es:di], 0xff
    mov bl, [ds:si]
    mov [es:di], ah
    mov [ds:si], al
    pop es
    pop ds
    cmp bl, 0xff
    ret

; ---------------------------------------------------------------- E820
read_e820:
    xor ebx, ebx
    xor bp, bp
    mov di, BI_E820
.next:
    mov eax, 0xe820
    mov edx, 0x534d4150             ; "SMAP"
    mov ecx, 24
    mov dword [di + 20], 1          ; ACPI 3 attribute: valid unless cleared
    int 0x15
    jc .end                         ; carry: end of list (or unsupported)
    cmp eax, 0x534d4150
    jne .end
    jcxz .skip
    inc bp
    add di, 24
    cmp bp, E820_MAX
    jae .end
.skip:
    test ebx, ebx
    jnz .next
.end:
    movzx eax, bp
    mov [BI_E820N], eax
    test bp, bp
    jnz .ok
    mov si, msg_e820
    jmp fatal
.ok:
    ret

; ---------------------------------------------------------------- kernel
load_kernel:
    mov eax, [kernel_sectors]
    test eax, eax
    jnz .have
    mov si, msg_nokernel
    jmp fatal
.have:
    mov [remaining], eax
    mov eax, [kernel_lba]
    mov [dap_lba], eax
    mov dword [dest], KERNEL_ADDR
.chunk:
    mov ecx, [remaining]
    cmp ecx, BOUNCE_SECTORS
    jbe .sized
    mov ecx, BOUNCE_SECTORS
.sized:
    mov [chunk], ecx
    mov [dap_count], cx
    mov word [dap_off], 0
    mov word [dap_seg], BOUNCE_SEG
    mov si, dap
    mov ah, 0x42
    mov dl, [boot_drive]
    int 0x13
    jc .error
    ; The BIOS may have reloaded the segment caches: re-enter unreal mode
    ; before every copy.
    call enter_unreal
    mov esi, BOUNCE_SEG * 16
    mov edi, [dest]
    mov ecx, [chunk]
    shl ecx, 7                      ; sectors -> dwords
    a32 rep movsd
    mov [dest], edi
    mov eax, [chunk]
    add [dap_lba], eax
    sub [remaining], eax
    jnz .chunk
    ret
.error:
    mov [disk_status], ah
    mov si, msg_disk
    call print
    mov eax, [dap_lba]
    call print_hex32
    mov si, msg_status
    call print
    movzx eax, byte [disk_status]
    call print_hex32
    mov si, msg_crlf
    jmp fatal

; Load DS and ES with 4 GiB flat descriptors, then go back to real mode: the
; hidden limits stay, so 32-bit addresses reach above 1 MiB.
enter_unreal:
    cli
    push ds
    push es
    lgdt [gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp $ + 2
    mov bx, 0x10
    mov ds, bx
    mov es, bx
    and al, 0xfe
    mov cr0, eax
    pop es
    pop ds
    sti
    ret

; ---------------------------------------------------------------- output
print:                              ; SI: NUL-terminated string
    lodsb
    test al, al
    jz .done
    mov ah, 0x0e
    mov bx, 7
    int 0x10
    jmp print
.done:
    ret

print_hex32:                        ; EAX
    mov cx, 8
.digit:
    rol eax, 4
    push eax
    and al, 0x0f
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '9' - 1
.out:
    mov ah, 0x0e
    mov bx, 7
    int 0x10
    pop eax
    loop .digit
    ret

fatal:                              ; SI: message; never returns
    call print
.halt:
    cli
    hlt
    jmp .halt

; ---------------------------------------------------------------- 32-bit
bits 32
pm_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, 0x7c00
    mov eax, BOOT_INFO_MAGIC
    mov ebx, BOOT_INFO_ADDR
    mov ecx, KERNEL_ADDR
    jmp ecx

; ---------------------------------------------------------------- data
align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff           ; 0x08: code, base 0, 4 GiB, 32-bit
    dq 0x00cf92000000ffff           ; 0x10: data, base 0, 4 GiB
gdt_desc:
    dw gdt_desc - gdt - 1
    dd gdt

align 4
dap:
    db 16, 0
dap_count:  dw 0
dap_off:    dw 0
dap_seg:    dw 0
dap_lba:    dq 0

remaining:  dd 0
chunk:      dd 0
dest:       dd 0
boot_drive: db 0
disk_status: db 0

msg_hello:    db "MyOS stage 2: loading kernel", 13, 10, 0
msg_a20:      db "MyOS boot: the A20 line could not be enabled", 13, 10, 0
msg_e820:     db "MyOS boot: BIOS gave no E820 memory map", 13, 10, 0
msg_nokernel: db "MyOS boot: no kernel in the image header", 13, 10, 0
msg_disk:     db "MyOS boot: disk read error at LBA 0x", 0
msg_status:   db ", int 13h status 0x", 0
msg_crlf:     db 13, 10, 0

%if ($ - $$) > STAGE2_SECTORS * 512
%error "stage 2 is larger than its reserved sectors"
%endif
    times STAGE2_SECTORS * 512 - ($ - $$) db 0
