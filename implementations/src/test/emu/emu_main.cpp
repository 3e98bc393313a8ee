// Runs attention.cu's kernels on the CPU (see cuda_emu.h) for the problems in a file written by
// KernelEmulationTest, with the launch configuration of CudaRuntime, and writes the outputs.
//   emu IN OUT     IN: sequence of problems (little-endian), OUT: their outputs as float32
#include "cuda_emu.h"
#include "attention_emu.cu"
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>

static int readInt(std::ifstream& in) { int32_t v; in.read((char*)&v, 4); return v; }
static float readFloat(std::ifstream& in) { float v; in.read((char*)&v, 4); return v; }
template <class T> static std::vector<T> readArray(std::ifstream& in, size_t n) {
    std::vector<T> v(n); in.read((char*)v.data(), n * sizeof(T)); return v;
}
static unsigned cdiv(long long a, long long b) { return (unsigned)((a + b - 1) / b); }

int main(int argc, char** argv) {
    if (argc != 3) { std::fprintf(stderr, "usage: emu IN OUT\n"); return 2; }
    std::ifstream in(argv[1], std::ios::binary);
    std::ofstream out(argv[2], std::ios::binary);
    int count = readInt(in);
    for (int p = 0; p < count; p++) {
        int kernel = readInt(in);    // 0 naive, 1 flash, 2 decode, 3 linear
        int B = readInt(in), Hq = readInt(in), Hkv = readInt(in), Sq = readInt(in), Skv = readInt(in);
        int Dqk = readInt(in), Dv = readInt(in);
        float scale = readFloat(in), softcap = readFloat(in);
        Masking m{};
        m.causal = readInt(in); m.offset = readInt(in); m.hasWindow = readInt(in);
        m.windowLeft = readInt(in); m.windowRight = readInt(in); m.maskKind = readInt(in);
        int hasLengths = readInt(in);
        m.ms0 = readInt(in); m.ms1 = readInt(in); m.ms2 = readInt(in); m.ms3 = readInt(in);
        int maskCount = readInt(in);
        int flashShared = readInt(in), decodeShared = readInt(in);
        auto q = readArray<float>(in, (size_t)B * Hq * Sq * Dqk);
        auto k = readArray<float>(in, (size_t)B * Hkv * Skv * Dqk);
        auto v = readArray<float>(in, (size_t)B * Hkv * Skv * Dv);
        std::vector<int> lengths = hasLengths ? readArray<int>(in, B) : std::vector<int>();
        std::vector<uint8_t> keep;
        std::vector<float> bias;
        if (m.maskKind == MASK_KEEP) { auto raw = readArray<int>(in, maskCount); keep.assign(raw.begin(), raw.end()); m.mask = keep.data(); }
        if (m.maskKind == MASK_BIAS) { bias = readArray<float>(in, maskCount); m.mask = bias.data(); }
        m.keyLengths = hasLengths ? lengths.data() : nullptr;
        if (!in) { std::fprintf(stderr, "emu: truncated input at problem %d\n", p); return 3; }
        long long rows = (long long)B * Hq * Sq;
        std::vector<float> o((size_t)rows * Dv, std::nanf(""));
        if (kernel == 0) {
            long long elements = rows * Skv;
            std::vector<float> scores(elements, std::nanf(""));
            std::vector<uint8_t> vis(elements, 7);
            launchSequential({cdiv(elements, 256), 1, 1}, {256, 1, 1}, [&] {
                naive_scores(q.data(), k.data(), scores.data(), vis.data(), B, Hq, Hkv, Sq, Skv, Dqk, scale, softcap, m); });
            launchSequential({cdiv(rows, 256), 1, 1}, {256, 1, 1}, [&] { naive_softmax(scores.data(), vis.data(), rows, Skv); });
            launchSequential({cdiv(rows * Dv, 256), 1, 1}, {256, 1, 1}, [&] {
                naive_pv(scores.data(), vis.data(), v.data(), o.data(), B, Hq, Hkv, Sq, Skv, Dv); });
        } else if (kernel == 1) {
            launch({cdiv(Sq, FL_BM), (unsigned)(B * Hq), 1}, {FL_THREADS, 1, 1}, flashShared, [&] {
                flash_forward(q.data(), k.data(), v.data(), o.data(), B, Hq, Hkv, Sq, Skv, Dqk, Dv, scale, softcap, m); });
        } else if (kernel == 2) {
            int splits = (int)cdiv(Skv, DEC_CHUNK);
            std::vector<float> pm(rows * splits, std::nanf("")), ps(rows * splits, std::nanf("")),
                pa(rows * splits * Dv, std::nanf(""));
            launch({(unsigned)rows, (unsigned)splits, 1}, {DEC_THREADS, 1, 1}, decodeShared, [&] {
                decode_partial(q.data(), k.data(), v.data(), pm.data(), ps.data(), pa.data(), B, Hq, Hkv, Sq, Skv,
                               Dqk, Dv, scale, softcap, m); });
            launchSequential({cdiv(rows * Dv, 256), 1, 1}, {256, 1, 1}, [&] {
                decode_combine(pm.data(), ps.data(), pa.data(), o.data(), rows, splits, Dv); });
        } else {
            // linear: heads = B*Hq, length = Sq (= Skv), no state in; output then state appended
            int heads = B * Hq;
            std::vector<float> state((size_t)heads * Dqk * Dv, std::nanf(""));
            int shared = 4 * (Dqk * LIN_DV + 2 * LIN_C * Dqk + LIN_C * LIN_DV + LIN_C * LIN_C);
            launch({(unsigned)heads, cdiv(Dv, LIN_DV), 1}, {LIN_THREADS, 1, 1}, shared, [&] {
                linear_chunked(q.data(), k.data(), v.data(), o.data(), nullptr, state.data(), Sq, Dqk, Dv); });
            o.insert(o.end(), state.begin(), state.end());
        }
        out.write((const char*)o.data(), o.size() * sizeof(float));
    }
    return 0;
}
