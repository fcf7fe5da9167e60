// uvmsim::kvm: the code the guest runs. The host copies the bytes between
// the *_begin and *_end symbols into guest frames (see guest_layout.cpp); the
// code is never executed in the host process, so it lives in .rodata.
//
// Ring 0 is emulated instruction by instruction on PVM (~1.5 us each), so
// ring-0 code is kept to one-byte `hlt` stubs plus three short helpers.
// Everything a simulated process does runs in ring 3, natively.

// ---------------------------------------------------------------- ring 0 --
        .section .rodata.uvmsim_guest_ring0, "a"
        .p2align 12
        .globl uvmsim_guest_ring0_begin
uvmsim_guest_ring0_begin:
// 256 interrupt stubs, one byte each: the IDT gate of vector v points at
// begin + v, so the host reads the vector from the HLT exit's RIP - 1.
        .rept 256
        hlt
        .endr

// invlpg each of %rsi addresses in the array at %rdi.
        .globl uvmsim_r0_invlpg
uvmsim_r0_invlpg:
1:      test %rsi, %rsi
        jz uvmsim_r0_done
        mov (%rdi), %rax
        invlpg (%rax)
        add $8, %rdi
        dec %rsi
        jmp 1b

// Reload CR3 (flushes every non-global translation).
        .globl uvmsim_r0_cr3_reload
uvmsim_r0_cr3_reload:
        mov %cr3, %rax
        mov %rax, %cr3
        jmp uvmsim_r0_done

// Store %rsi to the 8 bytes at %rdi: a page-table write KVM sees (it is
// emulated and goes through KVM's write tracking of shadowed tables).
        .globl uvmsim_r0_store
uvmsim_r0_store:
        mov %rsi, (%rdi)
        // fall through

// Every ring-0 helper ends here; the host recognises this RIP.
        .globl uvmsim_r0_done
uvmsim_r0_done:
        hlt
        .globl uvmsim_guest_ring0_end
uvmsim_guest_ring0_end:

// ---------------------------------------------------------------- ring 3 --
// Calling convention: arguments in registers, no stack. Each routine keeps
// all of its state in registers and can be restarted at the faulting
// instruction after a #PF, with the registers as the fault left them: the
// host resolves the fault and resumes at the exception frame's RIP.
// Every routine ends with `mov %rcx, (%r15)`: %r15 holds the address of the
// "done" page, whose PTE points at a guest-physical address with no memslot,
// so the store leaves the guest as a KVM_EXIT_MMIO write straight from ring 3
// (no ring-0 code, no exception frame).
        .section .rodata.uvmsim_guest_ring3, "a"
        .p2align 12
        .globl uvmsim_guest_ring3_begin
uvmsim_guest_ring3_begin:

// Copy %rcx bytes from %rsi to %rdi (read: process -> bounce; write:
// bounce -> process). rep movsb updates rsi/rdi/rcx per byte and is
// interruptible, so a fault leaves exact progress in the registers.
        .globl uvmsim_r3_copy
uvmsim_r3_copy:
        rep movsb
        mov %rcx, (%r15)

// Store %al to %rcx bytes at %rdi.
        .globl uvmsim_r3_fill
uvmsim_r3_fill:
        rep stosb
        mov %rcx, (%r15)

// FNV-1a 64 of %rcx bytes at %rsi; state in %rax (start with the offset
// basis), the prime in %r8. The load is the only instruction that can fault
// and it comes before any state changes in the iteration.
        .globl uvmsim_r3_fnv1a
uvmsim_r3_fnv1a:
1:      test %rcx, %rcx
        jz 2f
        movzbl (%rsi), %edx
        xor %rdx, %rax
        imul %r8, %rax
        inc %rsi
        dec %rcx
        jmp 1b
2:      mov %rcx, (%r15)

// Read one byte at %rsi, %rsi + %rdx, ... (%rcx times), %r9 >= 1 times
// over the same range in one run: each pass restarts at %r10 with %r11
// reads (several passes spread one guest entry over warm-memory timing).
        .globl uvmsim_r3_touch_read
uvmsim_r3_touch_read:
1:      test %rcx, %rcx
        jz 2f
        movb (%rsi), %al
        add %rdx, %rsi
        dec %rcx
        jmp 1b
2:      dec %r9
        jz 3f
        mov %r10, %rsi
        mov %r11, %rcx
        jmp 1b
3:      mov %rcx, (%r15)

// Write %al at %rsi, %rsi + %rdx, ... (%rcx times).
        .globl uvmsim_r3_touch_write
uvmsim_r3_touch_write:
1:      test %rcx, %rcx
        jz 2f
        movb %al, (%rsi)
        add %rdx, %rsi
        dec %rcx
        jmp 1b
2:      mov %rcx, (%r15)

// Count %rcx down to zero (a register-only loop, for timing ring 3).
        .globl uvmsim_r3_spin
uvmsim_r3_spin:
1:      dec %rcx
        jnz 1b
        mov %rcx, (%r15)

        .globl uvmsim_guest_ring3_end
uvmsim_guest_ring3_end:

        .section .note.GNU-stack, "", @progbits
