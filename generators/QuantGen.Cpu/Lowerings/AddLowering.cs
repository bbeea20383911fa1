using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Plan;

namespace QuantGen.Cpu
{
    /// <summary>
    /// Add (one rounding: y = clamp(zo + RoundShift((a - za) M_a + (b - zb) M_b, s)), ResidualAdd): two int8 activations on
    /// int32 lanes -> int8 plus a per-column constant on int32 lanes -> scalar int64. Each vector strategy proves at build time
    /// that its int32 arithmetic is exact for every int8 input, and declines otherwise.
    /// </summary>
    public sealed class AddLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Add;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new AddInt8(), new AddBiasRows(), new AddScalar() };

        internal static bool Int32(long v) => v >= int.MinValue && v <= int.MaxValue;

        /// <summary>
        /// The ReLU that takes an int8 Add's clamp (ResNet's Add -> Relu), or null: the Add's output is read by that ReLU alone,
        /// int8 in and out, and neither tensor is a graph output. max(zx, clamp(v, lo, hi)) = clamp(v, max(lo, zx), hi) for
        /// zx &lt;= hi (zx is a value of the int8 tensor), so the Add clamps to [max(lo, zx), hi], the ReLU's output shares the
        /// Add's buffer (<see cref="CpuPlan.Storage"/>) and the ReLU does nothing: bit-exact with the reference's two layers.
        /// </summary>
        internal static GraphNode? FusedRelu(ModelPlan model, GraphNode add)
        {
            TensorInfo y = add.Output;
            if (!(add.Layer is AddLayer) || add.Outputs.Count != 1 || model.IsGraphOutput(y) || CSharp.Type(y.Type) != "sbyte")
            {
                return null;
            }

            IReadOnlyList<GraphNode> consumers = model.Consumers(y.Name);
            if (consumers.Count != 1 || consumers[0].Layer.Op != OpKind.Relu)
            {
                return null;
            }

            GraphNode relu = consumers[0];
            return relu.Outputs.Count == 1 && relu.Inputs.Count == 1 && !model.IsGraphOutput(relu.Output) && CSharp.Type(relu.Output.Type) == "sbyte"
                && relu.Output.ElementCount == y.ElementCount && y.Quant != null ? relu : null;
        }
    }

    /// <summary>
    /// A residual Add fused into the store of the conv that produces one of its operands (<see cref="CpuPlan.FusedAdd"/>): the
    /// conv (QuantGenConvKernels.ConvGemmImplicitHighAdd) computes its requantized int8 value exactly as alone, then the Add's
    /// integers (<see cref="Plan"/>) on it and <see cref="Other"/>, and writes the Add's output; the conv's output tensor shares
    /// that buffer (<see cref="CpuPlan.Storage"/>) and the Add layer does nothing.
    /// </summary>
    public sealed record ResidualFusion(GraphNode Conv, GraphNode Add, AddS8Plan Plan, int ConvOperand)
    {
        /// <summary>The Add's operand that the conv does not produce (computed by an earlier layer).</summary>
        public TensorInfo Other => Add.Inputs[1 - ConvOperand];

        /// <summary>The Add's multiplier of the conv's value.</summary>
        public int ConvM => ConvOperand == 0 ? Plan.Ma : Plan.Mb;

        /// <summary>The Add's multiplier of <see cref="Other"/>.</summary>
        public int OtherM => ConvOperand == 0 ? Plan.Mb : Plan.Ma;

        /// <summary>
        /// The planner's decision, made once the layout plan is known: an int8 Add in the one-product form (AddS8, not split)
        /// with an operand produced by a one-group GEMM conv that takes the implicit im2col tiles with the multiply-high store
        /// (a padded image, kernel rows of whole quads, MulHigh, not the Stem8 stem), 16k output channels, channels-last output read
        /// by this Add alone (not a graph output); the other operand is the output of a layer before the Add (the conv runs
        /// where the Add stood, <see cref="CpuPlan.CallOrder"/>, so that buffer is filled) and does not share the Add's buffer.
        /// Where both operands qualify, the later conv fuses.
        /// </summary>
        internal static IReadOnlyList<ResidualFusion> Find(ModelPlan model, IReadOnlyList<CpuLayerPlan> layers, Func<TensorInfo, bool> channelsLast, Func<string, string> storage)
        {
            var index = new Dictionary<GraphNode, int>();
            for (int i = 0; i < layers.Count; i++)
            {
                index[layers[i].Node] = i;
            }

            var found = new List<ResidualFusion>();
            foreach (CpuLayerPlan l in layers)
            {
                if (!(l.Kernel is AddS8Plan plan) || plan.Split || !(l.Node.Layer is AddLayer) || !channelsLast(l.Node.Output) || model.IsGraphOutput(l.Node.Output))
                {
                    continue;
                }

                ResidualFusion? best = null;
                for (int operand = 0; operand < 2; operand++)
                {
                    TensorInfo t = l.Node.Inputs[operand], other = l.Node.Inputs[1 - operand];
                    GraphNode? conv = model.Producer(t.Name), before = model.Producer(other.Name);
                    if (conv == null || before == null || !index.TryGetValue(conv, out int ci) || !index.TryGetValue(before, out int bi) || bi >= index[l.Node]
                        || !Fusable(model, layers[ci], l.Node, channelsLast) || storage(other.Name) == storage(l.Node.Output.Name) || t.Name == other.Name)
                    {
                        continue;
                    }

                    if (best == null || index[best.Conv] < ci)
                    {
                        best = new ResidualFusion(conv, l.Node, plan, operand);
                    }
                }

                if (best != null)
                {
                    found.Add(best);
                }
            }

            return found;
        }

        private static bool Fusable(ModelPlan model, CpuLayerPlan conv, GraphNode add, Func<TensorInfo, bool> channelsLast)
        {
            GraphNode node = conv.Node;
            if (!(conv.Kernel is ConvPlan p) || p.Name != Conv2dLowering.GemmKernel || !p.MulHigh || p.Stem8 || p.StemStack || !(node.Layer is Conv2dLayer cv) || node.Outputs.Count != 1)
            {
                return false;
            }

            TensorInfo x = node.Inputs[0], y = node.Output;
            int[] ws = node.Weight!.Shape;
            bool padded = !channelsLast(x) || cv.Pads.Any(v => v != 0);
            int cImg = Conv2dLowering.ImageChannels(x.Shape[1], padded);
            IReadOnlyList<GraphNode> consumers = model.Consumers(y.Name);
            return padded && (ws[3] * cImg) % 4 == 0 && ws[0] % 16 == 0 && channelsLast(y) && !model.IsGraphOutput(y) && consumers.Count == 1 && ReferenceEquals(consumers[0], add)
                && y.ElementCount == add.Output.ElementCount;
        }
    }

    /// <summary>
    /// A bias Add (<see cref="AddRowsPlan"/>: an activation plus a per-column constant) fused into the store of the Dense that
    /// produces its activation (<see cref="CpuPlan.FusedBias"/>): the GEMM (QuantGenPointwiseKernels.GemmVnniHighAddRows)
    /// clamps its requantized int8 value exactly as alone, applies the Add's integers to it and writes the Add's output; the
    /// Dense's output tensor shares that buffer (<see cref="CpuPlan.Storage"/>) and the Add layer does nothing.
    /// </summary>
    public sealed record BiasFusion(GraphNode Dense, GraphNode Add, AddRowsPlan Plan)
    {
        /// <summary>
        /// The planner's decision: an Add planned as <see cref="AddRowsPlan"/> whose constant runs along the innermost axis of a
        /// Dense layer's output (one entry per output channel), that Dense on the VNNI GEMM with the multiply-high store
        /// (token rows, <see cref="DenseGemmPlan.MulHigh"/>) with whole 32-channel blocks, an int8 output read by this Add alone;
        /// neither the Dense's output nor the Add's is a graph output (Infer may write a graph output straight into the caller's
        /// span, which the fused store does not). DeiT's qkv, proj, fc1 and fc2 bias Adds.
        /// </summary>
        internal static IReadOnlyList<BiasFusion> Find(ModelPlan model, IReadOnlyList<CpuLayerPlan> layers)
        {
            var byNode = layers.ToDictionary(l => l.Node, l => l);
            var found = new List<BiasFusion>();
            foreach (CpuLayerPlan l in layers)
            {
                if (!(l.Kernel is AddRowsPlan plan) || !(l.Node.Layer is AddLayer) || l.Node.Inputs.Count != 2 || model.IsGraphOutput(l.Node.Output))
                {
                    continue;
                }

                TensorInfo x = l.Node.Inputs[0].Kind == TensorKind.Initializer ? l.Node.Inputs[1] : l.Node.Inputs[0];
                GraphNode? dense = model.Producer(x.Name);
                if (dense == null || !byNode.TryGetValue(dense, out CpuLayerPlan? d) || !(d.Kernel is DenseGemmPlan g) || !g.MulHigh || g.N != plan.N || g.N % 32 != 0
                    || dense.Outputs.Count != 1 || model.IsGraphOutput(x) || CSharp.Type(x.Type) != "sbyte" || x.ElementCount != l.Node.Output.ElementCount)
                {
                    continue;
                }

                IReadOnlyList<GraphNode> consumers = model.Consumers(x.Name);
                if (consumers.Count == 1 && ReferenceEquals(consumers[0], l.Node))
                {
                    found.Add(new BiasFusion(dense, l.Node, plan));
                }
            }

            return found;
        }
    }

    /// <summary>
    /// The int32 form of a residual Add: y = clamp((a ma + b mb + c) &gt;&gt; s, lo, hi) (QuantGenKernels.AddS8), or, when Split,
    /// the 31-bit mantissas split at bit 16: clamp((a ma + b mb + c + ((a mal + b mbl + cl) &gt;&gt; 16)) &gt;&gt; s) with ma, mb the
    /// high halves (QuantGenKernels.AddS8Split).
    /// </summary>
    public sealed record AddS8Plan(bool Split, int Ma, int Mb, int C, int S, int Mal = 0, int Mbl = 0, int Cl = 0) : CpuKernelPlan(Split ? AddInt8.SplitKernel : AddInt8.Kernel)
    {
        /// <summary>The ReLU whose max(x, zx) this Add's clamp takes (<see cref="AddLowering.FusedRelu"/>), or null.</summary>
        public string? Relu { get; init; }

        /// <summary>The lower clamp bound: the output type's minimum, or the fused ReLU's zero point when that is larger.</summary>
        public long? Lo { get; init; }
    }

    /// <summary>
    /// Two int8 activations of the output's size, int8 output: QuantGenKernels.AddS8 on int32 lanes, taken only when the exact
    /// pre-shift value (a - za) M_a + (b - zb) M_b + 2^(s-1) + zo 2^s lies in int32 for every int8 pair (it is linear in a and b,
    /// so its four corners bound it) and M_a, M_b fit int32, s &lt;= 31.
    /// </summary>
    public sealed class AddInt8 : CpuStrategy<AddS8Plan>
    {
        public const string Kernel = "int8-add";

        public const string SplitKernel = "int8-add-split";

        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
        {
            AddS8Plan? plan = Plan(node, 1);
            if (plan != null && AddLowering.FusedRelu(context.Model, node) is GraphNode relu)
            {
                TensorInfo y = node.Output;
                plan = plan with { Relu = relu.Layer.Name, Lo = System.Math.Max(y.Type.MinValue, y.Quant!.ZeroPoint) };
            }

            return plan;
        }

        /// <summary>The plan for a + sign b, or null.</summary>
        internal static AddS8Plan? Plan(GraphNode node, int sign)
        {
            TensorInfo a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
            if (a.Kind == TensorKind.Initializer || b.Kind == TensorKind.Initializer || CSharp.Type(a.Type) != "sbyte" || CSharp.Type(b.Type) != "sbyte"
                || CSharp.Type(y.Type) != "sbyte" || a.ElementCount != y.ElementCount || b.ElementCount != y.ElementCount)
            {
                return null;
            }

            AddIntegers integers = node.Layer is AddLayer add ? add.Integers : ((SubLayer)node.Layer).Integers;
            if (System.Math.Abs(integers.RequantA.Shift - integers.RequantB.Shift) > ResidualAdd.MaxShiftGap)
            {
                return null;
            }

            (long ma, long mb, int s) = ResidualAdd.Common(integers.RequantA, integers.RequantB);
            mb *= sign;
            long za = a.Quant!.ZeroPoint, zb = b.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            if (s > 30 || !AddLowering.Int32(ma) || !AddLowering.Int32(mb) || !AddLowering.Int32(za) || !AddLowering.Int32(zb) || System.Math.Abs(zo) > 1 << 16)
            {
                return null;
            }

            long k = (s == 0 ? 0 : 1L << (s - 1)) + (zo << s);
            bool fits = true;
            foreach (long qa in new long[] { a.Type.MinValue, a.Type.MaxValue })
            {
                foreach (long qb in new long[] { b.Type.MinValue, b.Type.MaxValue })
                {
                    fits &= AddLowering.Int32(((qa - za) * ma) + ((qb - zb) * mb) + k);
                }
            }

            if (fits)
            {
                int c = unchecked((int)(k - (za * ma) - (zb * mb)));
                return new AddS8Plan(false, (int)ma, (int)mb, c, s) { Library = KernelFiles.Kernels, Layout = CpuLayout.Elementwise };
            }

            return SplitPlan(a, b, ma, mb, s, za, zb, zo);
        }

        /// <summary>The split form for mantissas too wide for the one-product form (31-bit, from spec files written before), or null.</summary>
        private static AddS8Plan? SplitPlan(TensorInfo a, TensorInfo b, long ma, long mb, int s, long za, long zb, long zo)
        {
            if (s < 17 || s - 16 > 30)
            {
                return null;
            }

            long ah = ma >> 16, al = ma & 0xFFFF, bh = mb >> 16, bl = mb & 0xFFFF;
            long cl = -(za * al) - (zb * bl), ch = -(za * ah) - (zb * bh) + (1L << (s - 17)) + (zo << (s - 16));
            long hMin = long.MaxValue, hMax = long.MinValue, lMin = long.MaxValue, lMax = long.MinValue;
            foreach (long qa in new long[] { a.Type.MinValue, a.Type.MaxValue })
            {
                foreach (long qb in new long[] { b.Type.MinValue, b.Type.MaxValue })
                {
                    long h = (qa * ah) + (qb * bh) + ch, l = (qa * al) + (qb * bl) + cl;
                    hMin = System.Math.Min(hMin, h);
                    hMax = System.Math.Max(hMax, h);
                    lMin = System.Math.Min(lMin, l);
                    lMax = System.Math.Max(lMax, l);
                }
            }

            if (!AddLowering.Int32(ch) || !AddLowering.Int32(cl) || !AddLowering.Int32(hMin) || !AddLowering.Int32(hMax) || !AddLowering.Int32(lMin) || !AddLowering.Int32(lMax)
                || !AddLowering.Int32(hMin + (lMin >> 16)) || !AddLowering.Int32(hMax + (lMax >> 16)))
            {
                return null;
            }

            return new AddS8Plan(true, (int)ah, (int)bh, (int)ch, s - 16, (int)al, (int)bl, (int)cl) { Library = KernelFiles.Kernels, Layout = CpuLayout.Elementwise };
        }

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, AddS8Plan plan)
        {
            if (e.Plan.FusedAdd(node) is ResidualFusion f)
            {
                w.Line($"// Fused into the store of the conv \"{NamedTensorApi.Esc(f.Conv.Layer.Name)}\" (QuantGenConvKernels.ConvGemmImplicitHighAdd), which writes y: nothing to do.");
                return;
            }

            EmitKernel(w, node, plan, "Residual add", "+");
        }

        internal static void EmitKernel(SourceWriter w, GraphNode node, AddS8Plan plan, string what, string op)
        {
            TensorInfo a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
            string lo = CSharp.I(plan.Lo ?? y.Type.MinValue);
            long fa = plan.Split ? ((long)plan.Ma << 16) + plan.Mal : plan.Ma, fb = plan.Split ? ((long)plan.Mb << 16) + plan.Mbl : plan.Mb;
            w.Line($"// {what} of two int8 tensors with one rounding: clamp({CSharp.I(y.Quant!.ZeroPoint)} + RoundShift({CpuEmitter.Minus("a", a.Quant!.ZeroPoint)} * {System.Math.Abs(fa)} {op} {CpuEmitter.Minus("b", b.Quant!.ZeroPoint)} * {System.Math.Abs(fb)}, {plan.S + (plan.Split ? 16 : 0)})),");
            if (plan.Relu != null)
            {
                w.Line($"// clamped to [{lo}, {CSharp.I(y.Type.MaxValue)}]: the ReLU \"{NamedTensorApi.Esc(plan.Relu)}\" (max(x, {CSharp.I(y.Quant!.ZeroPoint)})) fused, its output sharing this buffer,");
            }

            if (plan.Split)
            {
                w.Line("// on int32 lanes with the mantissas split at bit 16 (QuantGenKernels.AddS8Split; every int8 pair proven exact in int32 at build time).");
                w.Line(CpuEmitter.K("AddS8Split", "a", CSharp.I(plan.Ma), CSharp.I(plan.Mal), "b", CSharp.I(plan.Mb), CSharp.I(plan.Mbl), CSharp.I(plan.C), CSharp.I(plan.Cl), CSharp.I(plan.S),
                    lo, CSharp.I(y.Type.MaxValue), "y") + ";");
                return;
            }

            w.Line("// on int32 lanes (QuantGenKernels.AddS8; every int8 pair proven exact in int32 at build time).");
            w.Line(CpuEmitter.K("AddS8", "a", CSharp.I(plan.Ma), "b", CSharp.I(plan.Mb), CSharp.I(plan.C), CSharp.I(plan.S), lo, CSharp.I(y.Type.MaxValue), "y") + ";");
        }
    }

    /// <summary>The per-column int32 form of a constant Add: y = clamp(((x m + t[j]) &gt;&gt; s) + q[j], lo, hi) (QuantGenKernels.AddRowsS8).</summary>
    public sealed record AddRowsPlan(int N, int M, IReadOnlyList<int> T, IReadOnlyList<int> Q, int S, int Lo, int Hi) : CpuKernelPlan(AddBiasRows.Kernel);

    /// <summary>
    /// An int8 activation plus a constant broadcast along the innermost axis (a Dense layer's bias) or of the output's size
    /// (DeiT's position embedding), int8 output: with K_j = (c_j - zc) M_c and K_j + 2^(s-1) + zo 2^s = q_j 2^s + r_j
    /// (0 &lt;= r_j &lt; 2^s), clamp(zo + RoundShift((x - za) M_x + K_j, s)) = clamp(((x M_x + r_j - za M_x) &gt;&gt; s) + q_j) exactly;
    /// the planner checks every intermediate within int32 for both ends of the int8 range (the expression is monotone in x) and
    /// declines otherwise.
    /// </summary>
    public sealed class AddBiasRows : CpuStrategy<AddRowsPlan>
    {
        public const string Kernel = "int8-add-rows";

        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
        {
            var add = (AddLayer)node.Layer;
            TensorInfo a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
            bool aConst = a.Kind == TensorKind.Initializer, bConst = b.Kind == TensorKind.Initializer;
            if (aConst == bConst || y.Shape.Length == 0)
            {
                return null;
            }

            TensorInfo x = aConst ? b : a, c = aConst ? a : b;
            Dyadic dx = aConst ? add.Integers.RequantB : add.Integers.RequantA, dc = aConst ? add.Integers.RequantA : add.Integers.RequantB;
            int n = y.Shape[y.Shape.Length - 1];
            if (c.ElementCount == y.ElementCount && x.ElementCount == y.ElementCount)
            {
                n = y.ElementCount;
            }
            else if (c.ElementCount != n || c.Shape.Length == 0 || c.Shape[c.Shape.Length - 1] != n)
            {
                return null;
            }

            if (c.IntData == null || c.Quant == null || y.Quant == null || x.Quant == null || CSharp.Type(x.Type) != "sbyte" || CSharp.Type(y.Type) != "sbyte"
                || x.ElementCount != y.ElementCount || y.ElementCount % n != 0 || System.Math.Abs(dx.Shift - dc.Shift) > ResidualAdd.MaxShiftGap)
            {
                return null;
            }

            (long mx, long mc, int s) = ResidualAdd.Common(dx, dc);
            long za = x.Quant.ZeroPoint, zc = c.Quant.ZeroPoint, zo = y.Quant.ZeroPoint;
            if (s > 30 || !AddLowering.Int32(mx) || System.Math.Abs(za) > 1 << 16 || System.Math.Abs(zo) > 1 << 16)
            {
                return null;
            }

            var t = new int[n];
            var q = new int[n];
            long rnd = s == 0 ? 0 : 1L << (s - 1);
            for (int j = 0; j < n; j++)
            {
                long v = c.IntData[j] - zc;
                if (System.Math.Abs((double)v) * System.Math.Abs((double)mc) >= 1.0e18)
                {
                    return null;
                }

                long total = (v * mc) + rnd + (zo << s);
                long qj = total >> s, rj = total - (qj << s), tj = rj - (za * mx);
                if (!AddLowering.Int32(qj) || !AddLowering.Int32(tj))
                {
                    return null;
                }

                foreach (long xq in new long[] { x.Type.MinValue, x.Type.MaxValue })
                {
                    long pre = (xq * mx) + tj;
                    if (!AddLowering.Int32(xq * mx) || !AddLowering.Int32(pre) || !AddLowering.Int32((pre >> s) + qj))
                    {
                        return null;
                    }
                }

                t[j] = (int)tj;
                q[j] = (int)qj;
            }

            return new AddRowsPlan(n, (int)mx, t, q, s, (int)y.Type.MinValue, (int)y.Type.MaxValue) { Library = KernelFiles.Kernels };
        }

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, AddRowsPlan plan)
        {
            if (e.Plan.FusedBias(node) is BiasFusion f)
            {
                w.Line($"// Fused into the store of the Dense \"{NamedTensorApi.Esc(f.Dense.Layer.Name)}\" (QuantGenPointwiseKernels.GemmVnniHighAddRows), which writes y: nothing to do.");
                return;
            }

            string x = e.InputNames(node)[node.Inputs[0].Kind == TensorKind.Initializer ? 1 : 0];
            int tOff = e.AddInts(plan.T.ToArray()), qOff = e.AddInts(plan.Q.ToArray());
            w.Line("// Add of an int8 activation and a per-column constant with one rounding: the constant's exact branch, the rounding term and the");
            w.Line($"// output zero point split at build time into a quotient q[j] and a remainder folded into t[j]; y = clamp(((x * {plan.M} + t[j]) >> {plan.S}) + q[j], {plan.Lo}, {plan.Hi}), int32 proven exact.");
            w.Line(CpuEmitter.K("AddRowsS8", x, CSharp.I(plan.N), CSharp.I(plan.M), $"MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, s_blobAt + {tOff}, {plan.N * 4}))",
                $"MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, s_blobAt + {qOff}, {plan.N * 4}))", CSharp.I(plan.S), CSharp.I(plan.Lo), CSharp.I(plan.Hi), "y") + ";");
        }
    }

    /// <summary>Any widths, constant operands, broadcasting: one loop on int64 (the range analysis proved the pre-shift sum within 2^62).</summary>
    public sealed class AddScalar : ScalarStrategy
    {
        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) => EmitLoop(e, w, node, ((AddLayer)node.Layer).Integers, "+");

        internal static void EmitLoop(CpuEmitter e, SourceWriter w, GraphNode node, AddIntegers integers, string op)
        {
            TensorInfo a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
            (long ma, long mb, int s) = ResidualAdd.Common(integers.RequantA, integers.RequantB);
            (string ea, string eb) = BinaryOperands.Declare(e, w, node);
            w.Open($"for (int i = 0; i < {y.ElementCount}; i++)");
            w.Line($"long pre = (((long){ea} - {CSharp.I(a.Quant!.ZeroPoint)}) * {CSharp.I(ma)}) {op} (((long){eb} - {CSharp.I(b.Quant!.ZeroPoint)}) * {CSharp.I(mb)});");
            w.Line($"y[i] = ({CSharp.Type(y.Type)})QuantGenKernels.Clamp({CSharp.I(y.Quant!.ZeroPoint)} + QuantGenKernels.RoundShift(pre, {s}), {CSharp.I(y.Type.MinValue)}, {CSharp.I(y.Type.MaxValue)});");
            w.Close();
        }
    }
}
