// A CPU emulation of the few CUDA features attention.cu uses, so that the kernels' source can run on a machine
// without a GPU (KernelEmulationTest). Each thread of a block is a ucontext fiber on one OS thread; blocks run one
// after another, so function-level `static` variables stand in for static __shared__ arrays. __syncthreads switches
// back to a round-robin scheduler, and one round resumes every thread to its next barrier; __shfl_xor_sync exchanges
// through a block-wide slot array between two barriers — valid because every barrier and shuffle in attention.cu is
// reached by all threads of the block. Dynamic shared memory starts as NaN, so a read before a write shows.
// What this cannot show: timing, races a real warp could expose, CUDA's own expf/tanhf (host libm stands in).
#pragma once
#include <ucontext.h>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>
#include <algorithm>

struct dim3 { unsigned x = 1, y = 1, z = 1; };
namespace emu {
inline dim3 tIdx, bIdx, bDim, gDim;
inline ucontext_t scheduler;
inline std::vector<ucontext_t> fibers;
inline std::vector<std::vector<char>> stacks;
inline std::vector<char> done;
inline std::vector<uint64_t> slots;
inline std::vector<float> dynShared;
inline unsigned current = 0;
inline bool cooperative = false;
inline const std::function<void()>* body = nullptr;
inline void trampoline() {
    (*body)();
    done[current] = 1;                   // returning resumes the scheduler through uc_link
}
}
#define threadIdx (emu::tIdx)
#define blockIdx (emu::bIdx)
#define blockDim (emu::bDim)
#define gridDim (emu::gDim)
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __launch_bounds__(n)
#define __shared__ static
#define EMU_DYNAMIC_SHARED (emu::dynShared.data())
using std::min;
using std::max;

inline void __syncthreads() {
    if (!emu::cooperative) { std::fprintf(stderr, "emu: __syncthreads in a sequential launch\n"); std::abort(); }
    swapcontext(&emu::fibers[emu::current], &emu::scheduler);
}

template <class T> T __shfl_xor_sync(unsigned, T v, int lane) {
    static_assert(sizeof(T) <= 8);
    unsigned t = threadIdx.x;
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    emu::slots[t] = bits;
    __syncthreads();
    uint64_t other = emu::slots[t ^ (unsigned)lane];
    __syncthreads();
    T r;
    std::memcpy(&r, &other, sizeof(T));
    return r;
}

// For kernels without __syncthreads or shuffles: every thread of every block in turn.
inline void launchSequential(dim3 grid, dim3 block, const std::function<void()>& kernel) {
    emu::bDim = block;
    emu::gDim = grid;
    emu::cooperative = false;
    for (unsigned by = 0; by < grid.y; by++)
        for (unsigned bx = 0; bx < grid.x; bx++)
            for (unsigned tx = 0; tx < block.x; tx++) {
                emu::tIdx = dim3{tx, 0, 0};
                emu::bIdx = dim3{bx, by, 0};
                kernel();
            }
}

// Runs kernel() for every block of grid, blockDim fibers each, with `shared` bytes of dynamic shared memory.
inline void launch(dim3 grid, dim3 block, size_t shared, const std::function<void()>& kernel) {
    const size_t stackBytes = 256 * 1024;
    emu::bDim = block;
    emu::gDim = grid;
    emu::cooperative = true;
    emu::body = &kernel;
    emu::fibers.resize(block.x);
    emu::stacks.resize(block.x);
    for (auto& st : emu::stacks) st.resize(stackBytes);
    for (unsigned by = 0; by < grid.y; by++) {
        for (unsigned bx = 0; bx < grid.x; bx++) {
            emu::bIdx = dim3{bx, by, 0};
            emu::dynShared.assign(shared / sizeof(float) + 1, std::nanf(""));
            emu::slots.assign(block.x, 0);
            emu::done.assign(block.x, 0);
            for (unsigned t = 0; t < block.x; t++) {
                getcontext(&emu::fibers[t]);
                emu::fibers[t].uc_stack.ss_sp = emu::stacks[t].data();
                emu::fibers[t].uc_stack.ss_size = stackBytes;
                emu::fibers[t].uc_link = &emu::scheduler;
                makecontext(&emu::fibers[t], emu::trampoline, 0);
            }
            for (bool running = true; running;) {           // one round = every live thread to its next barrier
                running = false;
                for (unsigned t = 0; t < block.x; t++) {
                    if (emu::done[t]) continue;
                    running = true;
                    emu::current = t;
                    emu::tIdx = dim3{t, 0, 0};
                    swapcontext(&emu::scheduler, &emu::fibers[t]);
                }
            }
        }
    }
    emu::cooperative = false;
}
