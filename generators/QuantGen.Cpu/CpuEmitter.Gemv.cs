using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>The one-row Dense call of the DenseGemvHigh strategy (Lowerings/DenseGemvLowering.cs).</summary>
    internal sealed partial class CpuEmitter
    {
        /// <summary>
        /// A Dense layer of one row per sample whose every channel passed Conv2dLowering.MulHighApplies: QuantGenKernels.GemvVnniHigh
        /// where AVX-VNNI runs, the GEMM's int16 pair path elsewhere (the GEMM's statics, printed by EmitDenseGemm, serve both
        /// that path and the batched chain).
        /// </summary>
        private void EmitDenseGemvCall(SourceWriter w, GraphNode node, DenseGemm g, bool wide)
        {
            var d = (DenseLayer)node.Layer;
            long zo = node.Output.Quant!.ZeroPoint;
            EmitMulHighStatics(g.Id, g.N, g.NpStatics + 1, o => d.Integers.Requant[o], zo);
            w.Line("// One row: even and odd quad chains from the bias (QuantGenKernels.GemvVnniHigh), requantized in int32 lanes: every channel's shift is");
            w.Line("// at least 33 and |2^(t - 1) + zo * 2^t| < 2^30 (t = shift - 32), so (high half of acc * m + 2^(t - 1) + zo * 2^t) >> t equals the");
            w.Line("// reference's zo + ((acc * m + 2^(shift - 1)) >> shift) for every int32 acc.");
            if (wide)
            {
                w.Line("// 64 channels or more and K >= DenseGemvHigh.WideMinK: 64-channel blocks, two chains of 8 accumulators (the wide form).");
            }

            w.Open("if (QuantGenKernels.UseVnni)");
            w.Line(K("GemvVnniHigh", "ref MemoryMarshal.GetReference(x)", I(g.KQuads), $"ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref BlobData, {g.Offset}))",
                I(g.Np8), I(g.N), $"ref MemoryMarshal.GetReference({g.Id}_BiasU32)", $"ref MemoryMarshal.GetReference({g.Id}_MulHi)", $"ref MemoryMarshal.GetReference({g.Id}_AddHi)",
                $"ref MemoryMarshal.GetReference({g.Id}_ShiftHi)", I(g.Lo), I(g.Hi), "ref MemoryMarshal.GetReference(y)", wide ? "true" : "false") + ";");
            w.Close();
            w.Open("else");
            string[] requant = { $"ref MemoryMarshal.GetReference({g.Id}_Mul64)", $"ref MemoryMarshal.GetReference({g.Id}_Round64)", $"ref MemoryMarshal.GetReference({g.Id}_Shift64)", I(g.Zo), I(g.Lo), I(g.Hi), "ref MemoryMarshal.GetReference(y)", I(g.N) };
            w.Line("Span<short> xs = _gemmA;");
            w.Line(K("WidenRows", "x", "1", I(g.K), "0", "xs", I(g.KPairs * 2)) + ";");
            w.Line($"short[] wp = s_{g.Id}_Pairs ??= {K("PairsFromQuads", "s_blob", "s_blobAt + " + I(g.Offset), I(g.N), I(g.K), I(g.Np8), I(g.Np16))};");
            w.Line(K("GemmRequant", new[] { "ref MemoryMarshal.GetReference(xs)", "1", I(g.KPairs * 2), "ref MemoryMarshal.GetArrayDataReference(wp)", I(g.KPairs), I(g.Np16), I(g.N),
                $"ref MemoryMarshal.GetReference({g.Id}_Bias32)" }.Concat(requant).ToArray()) + ";");
            w.Close();
        }
    }
}
