// Attest CUDA kernels: fp32 attention, judged by the same contract as the CPU backends (DESIGN.md "Semantics").
//
//   s = (q . k) * scale -> softcap c*tanh(s/c) -> + bias (visible keys only) -> softmax over keys -> * V
//   query head h reads kv head h / group (repeat-interleave GQA)
//   key j is visible from query row i iff  causal:   j <= p            (p = i + offset)
//                                          window:   p - left <= j <= p + right
//                                          padding:  j < keyLen[b]
//                                          bool mask keep[b,h,i,j], bias mask bias[b,h,i,j] != -inf
//   a fully masked row is all zero; a hidden key or value is never read (NaN there cannot leak).
//
// Inputs are dense BHSD fp32 copies made by the host. Masks stay at their stored (broadcast) shape and are read
// through four element strides (0 on broadcast axes), so no (B, Hq, Sq, Skv) expansion is ever made.
//
// Built by implementations/pom.xml (profile "cuda") and scripts/cuda/build-fatbin.sh with the flags in nvcc.args;
// the fatbin is committed as a resource, and FatbinFreshnessTest fails when it no longer matches this source.

#include <math.h>
#include <stdint.h>
#include <stddef.h>

#define MASK_NONE 0
#define MASK_KEEP 1
#define MASK_BIAS 2
#define UNBOUNDED 0x7fffffff

// Everything a kernel needs to decide visibility and bias: structural (causal, window) and data (mask, lengths).
// Passed by value; the host packs it byte by byte (CudaKernels.Masking), so the layout is pinned below.
struct Masking {
    const int* keyLengths;      // per batch, or null
    const void* mask;           // stored mask values, or null
    long long ms0, ms1, ms2, ms3; // element strides of the mask over (B, Hq, Sq, Skv), 0 where broadcast
    int causal;                 // 1 when j > i + offset is hidden
    int offset;                 // position of query row 0 among the keys
    int windowLeft;             // UNBOUNDED for none
    int windowRight;            // UNBOUNDED for none
    int hasWindow;
    int maskKind;               // MASK_NONE, MASK_KEEP (uint8 keep), MASK_BIAS (float bias)
};
// MASKING-LAYOUT (read by CudaKernelsLayoutTest): size 72, keyLengths 0, mask 8, ms0 16, ms1 24, ms2 32, ms3 40,
// causal 48, offset 52, windowLeft 56, windowRight 60, hasWindow 64, maskKind 68
static_assert(sizeof(Masking) == 72, "Masking layout");
static_assert(offsetof(Masking, keyLengths) == 0 && offsetof(Masking, mask) == 8, "Masking layout");
static_assert(offsetof(Masking, ms0) == 16 && offsetof(Masking, ms1) == 24, "Masking layout");
static_assert(offsetof(Masking, ms2) == 32 && offsetof(Masking, ms3) == 40, "Masking layout");
static_assert(offsetof(Masking, causal) == 48 && offsetof(Masking, offset) == 52, "Masking layout");
static_assert(offsetof(Masking, windowLeft) == 56 && offsetof(Masking, windowRight) == 60, "Masking layout");
static_assert(offsetof(Masking, hasWindow) == 64 && offsetof(Masking, maskKind) == 68, "Masking layout");

// Structural visibility only: causal and window (what tile skipping may rely on).
__device__ __forceinline__ bool structurallyVisible(const Masking& m, int i, int j) {
    long long p = (long long)i + m.offset;
    if (m.causal && (long long)j > p) return false;
    if (m.hasWindow) {
        if (m.windowLeft != UNBOUNDED && (long long)j < p - m.windowLeft) return false;
        if (m.windowRight != UNBOUNDED && (long long)j > p + m.windowRight) return false;
    }
    return true;
}

// Full visibility of key j for query row i of (b, h); writes the additive bias of a visible key.
__device__ __forceinline__ bool visibleWithBias(const Masking& m, int b, int h, int i, int j, float* bias) {
    *bias = 0.f;
    if (!structurallyVisible(m, i, j)) return false;
    if (m.keyLengths != nullptr && j >= m.keyLengths[b]) return false;
    if (m.maskKind == MASK_NONE) return true;
    long long idx = b * m.ms0 + h * m.ms1 + i * m.ms2 + j * m.ms3;
    if (m.maskKind == MASK_KEEP) return ((const uint8_t*)m.mask)[idx] != 0;
    float v = ((const float*)m.mask)[idx];
    if (v == -INFINITY) return false;
    *bias = v;
    return true;
}

// Scale, then softcap before the bias, so a masked key keeps exactly zero weight.
__device__ __forceinline__ float logit(float dot, float scale, float softcap, float bias) {
    float s = dot * scale;
    if (softcap != 0.f) s = softcap * tanhf(s / softcap);
    return s + bias;
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Naive: the GPU counterpart of cpu-naive. The full score matrix S (B*Hq, Sq, Skv) is materialised in global
//    memory with a visibility byte per element, then softmax per row, then P.V. Three launches, no tiling.
// ---------------------------------------------------------------------------------------------------------------

// One thread per (bh, i, j): S = logit, vis = visible.
extern "C" __global__ void naive_scores(const float* __restrict__ q, const float* __restrict__ k,
                                        float* __restrict__ scores, uint8_t* __restrict__ vis,
                                        int B, int Hq, int Hkv, int Sq, int Skv, int Dqk,
                                        float scale, float softcap, Masking m) {
    long long total = (long long)B * Hq * Sq * Skv;
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= total) return;
    int j = (int)(t % Skv);
    long long r = t / Skv;
    int i = (int)(r % Sq);
    long long bh = r / Sq;
    int h = (int)(bh % Hq);
    int b = (int)(bh / Hq);
    int kvh = h / (Hq / Hkv);
    float bias;
    if (!visibleWithBias(m, b, h, i, j, &bias)) {
        vis[t] = 0;
        scores[t] = 0.f;
        return;
    }
    const float* qi = q + (((long long)b * Hq + h) * Sq + i) * Dqk;
    const float* kj = k + (((long long)b * Hkv + kvh) * Skv + j) * Dqk;
    float dot = 0.f;
    for (int d = 0; d < Dqk; d++) dot += qi[d] * kj[d];
    vis[t] = 1;
    scores[t] = logit(dot, scale, softcap, bias);
}

// One thread per row (bh, i): S row -> P row in place (max-subtracted softmax over visible keys; hidden -> 0).
extern "C" __global__ void naive_softmax(float* __restrict__ scores, const uint8_t* __restrict__ vis,
                                         long long rows, int Skv) {
    long long r = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    float* s = scores + r * Skv;
    const uint8_t* v = vis + r * Skv;
    float mx = -INFINITY;
    bool any = false;
    for (int j = 0; j < Skv; j++) {
        if (!v[j]) continue;
        mx = any ? fmaxf(mx, s[j]) : s[j];
        any = true;
    }
    float sum = 0.f;
    for (int j = 0; j < Skv; j++) {
        if (!v[j]) continue;
        s[j] = expf(s[j] - mx);
        sum += s[j];
    }
    for (int j = 0; j < Skv; j++) s[j] = v[j] ? s[j] / sum : 0.f;
}

// One thread per (bh, i, d): o = sum over visible j of P[j] * v[j][d]; a hidden value is never read.
extern "C" __global__ void naive_pv(const float* __restrict__ p, const uint8_t* __restrict__ vis,
                                    const float* __restrict__ v, float* __restrict__ out,
                                    int B, int Hq, int Hkv, int Sq, int Skv, int Dv) {
    long long total = (long long)B * Hq * Sq * Dv;
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= total) return;
    int d = (int)(t % Dv);
    long long r = t / Dv;                 // (bh, i) row index
    long long bh = r / Sq;
    int h = (int)(bh % Hq);
    int b = (int)(bh / Hq);
    int kvh = h / (Hq / Hkv);
    const float* pr = p + r * Skv;
    const uint8_t* vr = vis + r * Skv;
    const float* vh = v + ((long long)b * Hkv + kvh) * Skv * Dv;
    float acc = 0.f;
    for (int j = 0; j < Skv; j++) {
        if (vr[j]) acc += pr[j] * vh[(long long)j * Dv + d];
    }
    out[t] = acc;
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Fused flash-style fp32 kernel: one block per (bh, tile of FL_BM query rows); key tiles of FL_BN stream
//    through shared memory with an online softmax; tiles that causal/window structure hides are never loaded.
//    128 threads: a quad of 4 threads owns one query row; thread (row, lane) holds scores of keys lane + 4c and
//    output columns lane + 4c. Head dims up to FL_DMAX (the host falls back to naive above that).
// ---------------------------------------------------------------------------------------------------------------
#define FL_BM 32
#define FL_BN 32
#define FL_THREADS 128
#define FL_DMAX 128
#define FL_PER (FL_BN / 4)          // scores per thread per tile
#define FL_OPER (FL_DMAX / 4)       // output columns per thread

extern "C" __global__ void __launch_bounds__(FL_THREADS)
flash_forward(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
              float* __restrict__ out, int B, int Hq, int Hkv, int Sq, int Skv, int Dqk, int Dv,
              float scale, float softcap, Masking m) {
    // dynamic shared memory: Qs[FL_BM][Dqk + 1] | KVs[FL_BN][max(Dqk, Dv) + 1] | Ps[FL_BM][FL_BN]
    // (+1 pitches: the 8 quads of a warp read 8 different rows at the same column without bank conflicts)
    extern __shared__ float smem[];
    const int qPitch = Dqk + 1;
    const int kvPitch = max(Dqk, Dv) + 1;
    float* Qs = smem;
    float* KVs = Qs + FL_BM * qPitch;
    float* Ps = KVs + FL_BN * kvPitch;

    const int tid = threadIdx.x;
    const int row = tid >> 2;                           // 0..31
    const int lane = tid & 3;                           // 0..3 within the row's quad
    const int bh = blockIdx.y;
    const int b = bh / Hq, h = bh % Hq;
    const int kvh = h / (Hq / Hkv);
    const int i0 = blockIdx.x * FL_BM;
    const int i = i0 + row;
    const bool rowValid = i < Sq;

    const float* qb = q + ((long long)bh * Sq) * Dqk;
    const float* kb = k + ((long long)b * Hkv + kvh) * Skv * Dqk;
    const float* vb = v + ((long long)b * Hkv + kvh) * Skv * Dv;

    for (int e = tid; e < FL_BM * Dqk; e += FL_THREADS) {
        int r = e / Dqk, d = e % Dqk;
        Qs[r * qPitch + d] = (i0 + r < Sq) ? qb[(long long)(i0 + r) * Dqk + d] : 0.f;
    }

    // Causal tile skipping: the keys any row of this tile may see structurally lie in [jLo, jHi).
    long long pLo = (long long)i0 + m.offset;
    long long pHi = (long long)min(i0 + FL_BM, Sq) - 1 + m.offset;
    long long jLo = 0, jHi = Skv;
    if (m.causal) jHi = min(jHi, pHi + 1);
    if (m.hasWindow && m.windowRight != UNBOUNDED) jHi = min(jHi, pHi + m.windowRight + 1);
    if (m.hasWindow && m.windowLeft != UNBOUNDED) jLo = max(jLo, pLo - m.windowLeft);
    if (m.keyLengths != nullptr) jHi = min(jHi, (long long)m.keyLengths[b]);
    int tileLo = (int)(jLo / FL_BN) * FL_BN;

    float acc[FL_OPER];
#pragma unroll
    for (int c = 0; c < FL_OPER; c++) acc[c] = 0.f;
    float mRow = -INFINITY, lRow = 0.f;
    bool seen = false;
    __syncthreads();

    for (int j0 = tileLo; j0 < jHi; j0 += FL_BN) {
        // K tile into shared memory (rows past Skv are zero and hidden below)
        for (int e = tid; e < FL_BN * Dqk; e += FL_THREADS) {
            int r = e / Dqk, d = e % Dqk;
            KVs[r * kvPitch + d] = (j0 + r < Skv) ? kb[(long long)(j0 + r) * Dqk + d] : 0.f;
        }
        __syncthreads();

        // scores of this thread's keys; visibility bits gathered across the quad
        float s[FL_PER];
        unsigned bits = 0;
        float tileMax = -INFINITY;
#pragma unroll
        for (int c = 0; c < FL_PER; c++) {
            int jj = lane + 4 * c;
            int j = j0 + jj;
            float bias;
            s[c] = 0.f;
            if (rowValid && j < Skv && visibleWithBias(m, b, h, i, j, &bias)) {
                float dot = 0.f;
                for (int d = 0; d < Dqk; d++) dot += Qs[row * qPitch + d] * KVs[jj * kvPitch + d];
                s[c] = logit(dot, scale, softcap, bias);
                tileMax = (bits == 0) ? s[c] : fmaxf(tileMax, s[c]);
                bits |= 1u << jj;
            }
        }
        // quad reductions: the four threads of a row agree on its visible set and maximum
        for (int o = 1; o < 4; o <<= 1) {
            unsigned ob = __shfl_xor_sync(0xffffffffu, bits, o);
            float om = __shfl_xor_sync(0xffffffffu, tileMax, o);
            if (ob != 0) tileMax = (bits == 0) ? om : fmaxf(tileMax, om);
            bits |= ob;
        }

        // online softmax update; rows with nothing visible in this tile keep their state (no shuffle inside the
        // branch: every lane of the warp takes part in the quad sums)
        float alpha = 1.f, part = 0.f, mNew = mRow;
        if (bits != 0) {
            mNew = seen ? fmaxf(mRow, tileMax) : tileMax;
            alpha = seen ? expf(mRow - mNew) : 0.f;
#pragma unroll
            for (int c = 0; c < FL_PER; c++) {
                int jj = lane + 4 * c;
                float p = ((bits >> jj) & 1u) ? expf(s[c] - mNew) : 0.f;
                Ps[row * FL_BN + jj] = p;
                part += p;
            }
        }
        part += __shfl_xor_sync(0xffffffffu, part, 1);
        part += __shfl_xor_sync(0xffffffffu, part, 2);
        if (bits != 0) {
            lRow = lRow * alpha + part;
            mRow = mNew;
            seen = true;
        }
        __syncthreads();                                // everyone is done with K

        for (int e = tid; e < FL_BN * Dv; e += FL_THREADS) {
            int r = e / Dv, d = e % Dv;
            KVs[r * kvPitch + d] = (j0 + r < Skv) ? vb[(long long)(j0 + r) * Dv + d] : 0.f;
        }
        __syncthreads();

        if (bits != 0) {
#pragma unroll
            for (int c = 0; c < FL_OPER; c++) {
                int d = lane + 4 * c;
                if (d < Dv) {
                    float a = acc[c] * alpha;
                    for (int jj = 0; jj < FL_BN; jj++) {
                        if ((bits >> jj) & 1u) a += Ps[row * FL_BN + jj] * KVs[jj * kvPitch + d];
                    }
                    acc[c] = a;
                }
            }
        }
        __syncthreads();                                // everyone is done with V and P
    }

    if (rowValid) {
        float* o = out + ((long long)bh * Sq + i) * Dv;
#pragma unroll
        for (int c = 0; c < FL_OPER; c++) {
            int d = lane + 4 * c;
            if (d < Dv) o[d] = seen ? acc[c] / lRow : 0.f;   // fully masked row: zero, never NaN
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 3. KV-cache decode: few query rows over a long cache. Grid (rows = B*Hq*Sq, splits); each block takes one row
//    and one chunk of DEC_CHUNK cached keys, writes a partial (max, sum, seen, acc[Dv]); decode_combine merges
//    the partials of a row with the usual rescaling.
// ---------------------------------------------------------------------------------------------------------------
#define DEC_THREADS 128
#define DEC_CHUNK 256

extern "C" __global__ void __launch_bounds__(DEC_THREADS)
decode_partial(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
               float* __restrict__ partMax, float* __restrict__ partSum, float* __restrict__ partAcc,
               int B, int Hq, int Hkv, int Sq, int Skv, int Dqk, int Dv, float scale, float softcap, Masking m) {
    // dynamic shared memory: qs[Dqk] | p[DEC_CHUNK] | vis[DEC_CHUNK] (bytes) ; red[DEC_THREADS/32] is static
    extern __shared__ float smem[];
    float* qs = smem;
    float* p = qs + Dqk;
    uint8_t* vis = (uint8_t*)(p + DEC_CHUNK);
    __shared__ float red[DEC_THREADS / 32];
    __shared__ int redAny[DEC_THREADS / 32];

    const int tid = threadIdx.x;
    const long long r = blockIdx.x;                     // (bh, i)
    const int split = blockIdx.y, splits = gridDim.y;
    const int i = (int)(r % Sq);
    const long long bh = r / Sq;
    const int h = (int)(bh % Hq), b = (int)(bh / Hq);
    const int kvh = h / (Hq / Hkv);
    const int jStart = split * DEC_CHUNK;
    const float* kb = k + ((long long)b * Hkv + kvh) * Skv * Dqk;
    const float* vb = v + ((long long)b * Hkv + kvh) * Skv * Dv;

    for (int d = tid; d < Dqk; d += DEC_THREADS) qs[d] = q[r * Dqk + d];
    __syncthreads();

    // scores of the chunk; local max over visible keys
    float mx = -INFINITY;
    int any = 0;
    for (int jj = tid; jj < DEC_CHUNK; jj += DEC_THREADS) {
        int j = jStart + jj;
        float bias;
        vis[jj] = 0;
        p[jj] = 0.f;
        if (j < Skv && visibleWithBias(m, b, h, i, j, &bias)) {
            const float* kj = kb + (long long)j * Dqk;
            float dot = 0.f;
            for (int d = 0; d < Dqk; d++) dot += qs[d] * kj[d];
            float s = logit(dot, scale, softcap, bias);
            p[jj] = s;
            vis[jj] = 1;
            mx = any ? fmaxf(mx, s) : s;
            any = 1;
        }
    }
    for (int o = 16; o > 0; o >>= 1) {
        float om = __shfl_xor_sync(0xffffffffu, mx, o);
        int oa = __shfl_xor_sync(0xffffffffu, any, o);
        if (oa) mx = any ? fmaxf(mx, om) : om;
        any |= oa;
    }
    if ((tid & 31) == 0) { red[tid >> 5] = mx; redAny[tid >> 5] = any; }
    __syncthreads();
    mx = -INFINITY;
    any = 0;
    for (int w = 0; w < DEC_THREADS / 32; w++) {
        if (redAny[w]) { mx = any ? fmaxf(mx, red[w]) : red[w]; any = 1; }
    }
    __syncthreads();

    long long part = r * splits + split;
    if (!any) {                                         // nothing visible in this chunk
        if (tid == 0) { partMax[part] = -INFINITY; partSum[part] = -1.f; }   // sum -1 marks "unseen"
        return;
    }

    float sum = 0.f;
    for (int jj = tid; jj < DEC_CHUNK; jj += DEC_THREADS) {
        if (vis[jj]) { p[jj] = expf(p[jj] - mx); sum += p[jj]; }
    }
    for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
    if ((tid & 31) == 0) red[tid >> 5] = sum;
    __syncthreads();
    if (tid == 0) {
        float total = 0.f;
        for (int w = 0; w < DEC_THREADS / 32; w++) total += red[w];
        partMax[part] = mx;
        partSum[part] = total;
    }
    int jCount = min(DEC_CHUNK, Skv - jStart);
    for (int d = tid; d < Dv; d += DEC_THREADS) {
        float a = 0.f;
        for (int jj = 0; jj < jCount; jj++) {
            if (vis[jj]) a += p[jj] * vb[(long long)(jStart + jj) * Dv + d];
        }
        partAcc[part * Dv + d] = a;
    }
}

// One thread per (row, d): merge the row's partials; a row with no visible key anywhere is zero.
extern "C" __global__ void decode_combine(const float* __restrict__ partMax, const float* __restrict__ partSum,
                                          const float* __restrict__ partAcc, float* __restrict__ out,
                                          long long rows, int splits, int Dv) {
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= rows * Dv) return;
    long long r = t / Dv;
    int d = (int)(t % Dv);
    float M = -INFINITY;
    bool any = false;
    for (int s = 0; s < splits; s++) {
        long long ps = r * splits + s;
        if (partSum[ps] < 0.f) continue;                // unseen chunk (a NaN sum is seen and propagates)
        M = any ? fmaxf(M, partMax[ps]) : partMax[ps];
        any = true;
    }
    if (!any) { out[t] = 0.f; return; }
    float l = 0.f, a = 0.f;
    for (int s = 0; s < splits; s++) {
        long long ps = r * splits + s;
        if (partSum[ps] < 0.f) continue;
        float w = expf(partMax[ps] - M);
        l += w * partSum[ps];
        a += w * partAcc[ps * Dv + d];
    }
    out[t] = a / l;
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Chunked causal linear attention (no softmax, no normalisation): o_t = q_t . S_t, S_t = sum_{s<=t} k_s v_s^T.
//    One block per (b, h) and column slab of LIN_DV value columns; the sequence is walked in chunks of LIN_C:
//    o = q.S_prev (inter-chunk) + (causal-masked q.k^T) . v (intra-chunk), then S += k^T v for the chunk.
//    The state S (Dk x LIN_DV) lives in shared memory; state_in/state_out carry it across calls (null = zero).
// ---------------------------------------------------------------------------------------------------------------
#define LIN_C 32
#define LIN_DV 32
#define LIN_THREADS 128

extern "C" __global__ void __launch_bounds__(LIN_THREADS)
linear_chunked(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
               float* __restrict__ out, const float* __restrict__ stateIn, float* __restrict__ stateOut,
               int S, int Dk, int Dv) {
    // dynamic shared memory: St[Dk][LIN_DV] | Qc[LIN_C][Dk] | Kc[LIN_C][Dk] | Vc[LIN_C][LIN_DV] | A[LIN_C][LIN_C]
    extern __shared__ float smem[];
    float* St = smem;
    float* Qc = St + Dk * LIN_DV;
    float* Kc = Qc + LIN_C * Dk;
    float* Vc = Kc + LIN_C * Dk;
    float* A = Vc + LIN_C * LIN_DV;

    const int tid = threadIdx.x;
    const long long bh = blockIdx.x;
    const int d0 = blockIdx.y * LIN_DV;
    const int dw = min(LIN_DV, Dv - d0);
    const float* qb = q + bh * S * Dk;
    const float* kb = k + bh * S * Dk;
    const float* vb = v + bh * S * Dv;
    float* ob = out + bh * S * Dv;

    for (int e = tid; e < Dk * LIN_DV; e += LIN_THREADS) {
        int a = e / LIN_DV, c = e % LIN_DV;
        St[e] = (stateIn != nullptr && c < dw) ? stateIn[(bh * Dk + a) * Dv + d0 + c] : 0.f;
    }
    for (int t0 = 0; t0 < S; t0 += LIN_C) {
        int n = min(LIN_C, S - t0);
        for (int e = tid; e < LIN_C * Dk; e += LIN_THREADS) {
            int t = e / Dk, a = e % Dk;
            Qc[e] = t < n ? qb[(long long)(t0 + t) * Dk + a] : 0.f;
            Kc[e] = t < n ? kb[(long long)(t0 + t) * Dk + a] : 0.f;
        }
        for (int e = tid; e < LIN_C * LIN_DV; e += LIN_THREADS) {
            int t = e / LIN_DV, c = e % LIN_DV;
            Vc[e] = (t < n && c < dw) ? vb[(long long)(t0 + t) * Dv + d0 + c] : 0.f;
        }
        __syncthreads();
        // A = causal-masked Q K^T within the chunk
        for (int e = tid; e < LIN_C * LIN_C; e += LIN_THREADS) {
            int t = e / LIN_C, s = e % LIN_C;
            float dot = 0.f;
            if (s <= t && t < n) for (int a = 0; a < Dk; a++) dot += Qc[t * Dk + a] * Kc[s * Dk + a];
            A[e] = dot;
        }
        __syncthreads();
        // o = Q.S_prev + A.V
        for (int e = tid; e < LIN_C * LIN_DV; e += LIN_THREADS) {
            int t = e / LIN_DV, c = e % LIN_DV;
            if (t >= n || c >= dw) continue;
            float o = 0.f;
            for (int a = 0; a < Dk; a++) o += Qc[t * Dk + a] * St[a * LIN_DV + c];
            for (int s = 0; s <= t; s++) o += A[t * LIN_C + s] * Vc[s * LIN_DV + c];
            ob[(long long)(t0 + t) * Dv + d0 + c] = o;
        }
        __syncthreads();
        // S += K^T V
        for (int e = tid; e < Dk * LIN_DV; e += LIN_THREADS) {
            int a = e / LIN_DV, c = e % LIN_DV;
            float u = 0.f;
            for (int s = 0; s < n; s++) u += Kc[s * Dk + a] * Vc[s * LIN_DV + c];
            St[e] += u;
        }
        __syncthreads();
    }
    if (stateOut != nullptr) {
        for (int e = tid; e < Dk * LIN_DV; e += LIN_THREADS) {
            int a = e / LIN_DV, c = e % LIN_DV;
            if (c < dw) stateOut[(bh * Dk + a) * Dv + d0 + c] = St[e];
        }
    }
}
