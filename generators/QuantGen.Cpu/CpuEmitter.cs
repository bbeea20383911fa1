using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Plan;

namespace QuantGen.Cpu
{
    /// <summary>
    /// Validated quantized graph -> specialized C#: one method per layer named after it, shapes, zero points,
    /// multipliers and shifts as constants, weights in one base64 blob decoded once (no array literals for
    /// weights), per-channel constants as ReadOnlySpan data. Two files: the integer inference path (no float or
    /// double anywhere) and the float boundary (quantize, dequantize, Predict, Info).
    /// </summary>
    internal sealed partial class CpuEmitter
    {
        private readonly CSharpTarget model;
        private readonly CpuPlan plan;
        private readonly ModelGraph graph;
        private readonly RangeReport ranges;
        private readonly string weightsHash;
        private readonly List<byte> blob = new List<byte>();
        private readonly List<BlobSegment> blobSegments = new List<BlobSegment>();
        private readonly SourceWriter statics = new SourceWriter();
        private readonly List<string> fields = new List<string>();

        /// <summary>Blob offsets and kernel zero points of the Dense GEMMs already printed (the batched row path calls them again).</summary>
        private readonly Dictionary<string, DenseGemm> denseGemms = new Dictionary<string, DenseGemm>(StringComparer.Ordinal);

        public CpuEmitter(CSharpTarget model, CpuPlan plan, string weightsHash)
        {
            this.model = model;
            this.plan = plan;
            graph = plan.Model.Graph;
            ranges = plan.Model.Ranges;
            this.weightsHash = weightsHash;
        }

        internal CpuPlan Plan => plan;

        /// <summary>Where the weight blob comes from (null: a base64 literal); see <see cref="BlobInitializer"/>.</summary>
        internal BlobInitializer? BlobInitializer { get; set; }

        internal static string I(long v) => CSharp.I(v);

        private static string D(double v) => CSharp.D(v);

        internal static string CType(ElementType t) => CSharp.Type(t);

        /// <summary>The span of an activation's buffer in the arena (<see cref="CpuPlan.Arena"/>), typed and sized for the tensor.</summary>
        internal string Buffer(TensorInfo t)
        {
            ArenaSlot slot = plan.Arena.Slot(plan.Storage(t.Name)) ?? throw new InvalidOperationException($"tensor {t.Name} has no buffer in the CPU plan's arena");
            // A padded u-image (CpuPlan.PaddedImages): its producer and its consumer get the whole window.
            int length = plan.PaddedImageOf(t) is PaddedImage img ? img.Bytes : t.ElementCount;
            return $"_arena.Get<{CType(t.Type)}>({I(slot.Offset)}, {I(length)})";
        }

        /// <summary>The arena's field and the map of its buffers (none when no activation needs one).</summary>
        private void EmitArenaField(SourceWriter w)
        {
            BufferArena arena = plan.Arena;
            if (arena.Slots.Count == 0)
            {
                return;
            }

            w.Line($"// The activations: one arena of {I(arena.Bytes)} bytes for {I(arena.Slots.Count)} buffers ({I(arena.SeparateBytes)} bytes as separate arrays); a buffer is");
            w.Line("// in use from the call that writes it to the last call that reads it, and buffers in use at the same call never overlap (CpuPlan.Arena).");
            w.Line("//   offset    bytes  calls     tensor");
            foreach (ArenaSlot s in arena.Slots)
            {
                w.Line($"//   {I(s.Offset),6} {I(s.Bytes),8}  {I(s.First) + "-" + I(s.Last),-8}  {Esc(s.Tensor)}");
            }

            w.Line($"private readonly QuantGenArena _arena = new QuantGenArena({I(arena.Bytes)});");
        }

        /// <summary>A layer's unique C# name (methods Layer_&lt;id&gt;, constants &lt;id&gt;_Bias, ...).</summary>
        internal string LayerId(GraphNode node) => plan.Model.Names.CSharpLayer(node.Layer.Name);

        internal static string Shape(int[] s) => CSharp.Shape(s);

        /// <summary>A named-argument call of a kernel library method.</summary>
        internal static string K(string method, params string[] args) => KernelLibrary.Call("QuantGenKernels", method, args);

        public IEnumerable<SourceFile> Emit()
        {
            string hintBase = model.HintBase;
            var body = new SourceWriter();
            foreach (CpuLayerPlan layer in plan.Layers)
            {
                EmitLayer(body, layer);
            }

            yield return new SourceFile(hintBase + ".QuantGen.g.cs", SourceWriter.ClassFile(model, $"integer-only inference for model \"{graph.Name}\"", weightsHash, new[] { "System", "System.Runtime.CompilerServices", "System.Runtime.InteropServices", "QuantGen.Generated" }, InferenceMembers(body)));
            yield return new SourceFile(hintBase + ".QuantGen.Boundary.g.cs", SourceWriter.ClassFile(model, $"integer-only inference for model \"{graph.Name}\"", weightsHash, new[] { "System" }, BoundaryMembers(), ApiInterface));
        }

        private void EmitScratchFields(SourceWriter w)
        {
            CpuScratch scratch = plan.Scratch;
            if (scratch.PadBytes > 0)
            {
                w.Line($"private readonly sbyte[] _pad = new sbyte[{scratch.PadBytes}];");
            }

            if (scratch.MmShorts > 0)
            {
                w.Line($"private readonly short[] _mmA = new short[{scratch.MmShorts}];");
                w.Line($"private readonly short[] _mmB = new short[{scratch.MmShorts}];");
            }

            if (scratch.RowLongs > 0)
            {
                w.Line($"private readonly long[] _row = new long[{scratch.RowLongs}];");
            }

            if (scratch.RowInts > 0)
            {
                w.Line($"private readonly int[] _rowInts = new int[{scratch.RowInts}];");
            }

            if (scratch.GemmA > 0)
            {
                w.Line($"private readonly short[] _gemmA = new short[{scratch.GemmA}]; // int16 rows of a GEMM's left operand");
            }

            if (scratch.MmQuads > 0)
            {
                w.Line($"private readonly sbyte[] _mmQuads = new sbyte[{scratch.MmQuads}]; // a MatMul's right operand in the VNNI layout");
                w.Line($"private readonly int[] _mmColBias = new int[{scratch.MmColBias}];");
                w.Line($"private readonly int[] _mmRowBias = new int[{scratch.MmRowBias}];");
            }

            if (scratch.GemmU > 0)
            {
                w.Line($"private readonly sbyte[] _gemmU = new sbyte[{scratch.GemmU}]; // GEMM rows padded to whole quads for vpdpbusd");
            }

            if (scratch.GemmB > 0)
            {
                w.Line($"private readonly short[] _gemmB = new short[{scratch.GemmB}]; // a MatMul's right operand in the GEMM's pair layout");
            }

            if (scratch.ConvImage > 0)
            {
                w.Line($"private readonly sbyte[] _convImage = new sbyte[{scratch.ConvImage}]; // a convolution's zero-point padded channels-last input");
            }

            if (scratch.ConvCol > 0)
            {
                w.Line($"private readonly sbyte[] _convCol = new sbyte[{scratch.ConvCol}]; // a convolution's im2col rows (output positions x taps)");
            }

            if (scratch.ConvOut > 0)
            {
                w.Line($"private readonly sbyte[] _convOut = new sbyte[{scratch.ConvOut}]; // a channels-last convolution output before its transpose to NCHW");
            }
        }

        private string InferenceMembers(SourceWriter layers)
        {
            if (!SingleApi)
            {
                return MultiInferenceMembers(layers);
            }

            TensorInfo input = graph.Input, output = graph.Output;
            string tin = CType(input.Type), tout = CType(output.Type);
            IntRange inRange = ranges.Tensors[input.Name];
            var w = new SourceWriter();
            w.Line($"/// <summary>Elements of one input: {Shape(input.Shape)} {input.Type}.</summary>");
            w.Line($"public const int InputLength = {input.ElementCount};");
            w.Line($"/// <summary>Elements of one output: {Shape(output.Shape)} {output.Type}.</summary>");
            w.Line($"public const int OutputLength = {output.ElementCount};");
            w.Line($"/// <summary>The input range the range analysis assumed; Infer rejects values outside it.</summary>");
            w.Line($"public const int InputMin = {I(inRange.Min)}, InputMax = {I(inRange.Max)};");
            w.Line();
            w.Line("/// <summary>The SIMD path the int8 kernels take on this machine (avx512, avx2, vector128, scalar).</summary>");
            w.Line("public static string SimdPath => QuantGenKernels.SimdPath;");
            w.Line();
            // The layer that produces the model's output writes straight into the caller's span when no other layer reads it.
            bool direct = plan.OutputInPlace;
            EmitArenaField(w);
            foreach (string f in fields)
            {
                w.Line(f);
            }

            IReadOnlyList<CpuLayerPlan>? rowChain = plan.RowChain;
            const int batchRows = CpuPlan.BatchRows;
            if (rowChain != null)
            {
                for (int i = 0; i + 1 < rowChain.Count; i++)
                {
                    var g = (DenseGemmPlan)rowChain[i].Kernel;
                    string gid = LayerId(rowChain[i].Node);
                    w.Line($"private readonly sbyte[] _rows_{gid} = new sbyte[{batchRows * g.RowsPerSample * g.N}]; // layer {gid} of up to {batchRows} samples");
                }
            }

            EmitScratchFields(w);
            w.Line();
            w.Line("/// <summary>");
            w.Line($"/// Runs the integer model on one input ({input.Type} {Shape(input.Shape)}, row-major) and writes the {output.Type} output {Shape(output.Shape)}.");
            w.Line("/// Allocates nothing. An instance owns scratch buffers, so it is not thread-safe: use one instance per thread");
            w.Line("/// (construction allocates them; the weights are shared, read-only, by all instances)." + (model.ConcurrencyCheck ? " A call that overlaps another" : string.Empty));
            if (model.ConcurrencyCheck)
            {
                w.Line("/// call on the same instance throws InvalidOperationException instead of returning wrong numbers.");
            }

            w.Line("/// </summary>");
            w.Line("/// <exception cref=\"ArgumentException\">Wrong lengths, or an input value outside [InputMin, InputMax].</exception>");
            if (model.ConcurrencyCheck)
            {
                w.Line("/// <exception cref=\"InvalidOperationException\">Another thread is running a call on this instance.</exception>");
            }

            w.Open($"public void Infer(ReadOnlySpan<{tin}> input, Span<{tout}> output)");
            w.Line("if (input.Length != InputLength) throw new ArgumentException($\"expected {InputLength} input elements, got {input.Length}\", nameof(input));");
            w.Line("if (output.Length != OutputLength) throw new ArgumentException($\"expected room for {OutputLength} output elements, got {output.Length}\", nameof(output));");
            w.Line("CheckInput(input);");
            Guarded(w, () => w.Line("InferCore(input, output);"));
            w.Close();
            w.Line();
            w.Line("/// <summary>Runs <paramref name=\"batchSize\"/> inputs laid out one after the other; same contract as the single-input overload.</summary>");
            w.Open($"public void Infer(ReadOnlySpan<{tin}> inputs, Span<{tout}> outputs, int batchSize)");
            w.Line("if (batchSize < 0 || inputs.Length != (long)batchSize * InputLength) throw new ArgumentException($\"expected {batchSize} x {InputLength} input elements, got {inputs.Length}\", nameof(inputs));");
            w.Line("if (outputs.Length != (long)batchSize * OutputLength) throw new ArgumentException($\"expected room for {batchSize} x {OutputLength} output elements, got {outputs.Length}\", nameof(outputs));");
            w.Line("CheckInput(inputs);");
            Guarded(w, () => w.Line("InferBatchCore(inputs, outputs, batchSize);"));
            w.Close();
            w.Line();
            w.Open($"private void InferBatchCore(ReadOnlySpan<{tin}> inputs, Span<{tout}> outputs, int batchSize)");
            if (rowChain != null)
            {
                w.Line($"// A chain of Dense layers: up to {batchRows} samples at a time run as the rows of one GEMM per layer.");
                w.Open($"for (int b = 0; b < batchSize; b += {batchRows})");
                w.Line($"int count = batchSize - b < {batchRows} ? batchSize - b : {batchRows};");
                w.Line("RunRows(inputs.Slice(b * InputLength, count * InputLength), outputs.Slice(b * OutputLength, count * OutputLength), count);");
                w.Close();
            }
            else
            {
                w.Open("for (int b = 0; b < batchSize; b++)");
                w.Line("InferCore(inputs.Slice(b * InputLength, InputLength), outputs.Slice(b * OutputLength, OutputLength));");
                w.Close();
            }

            w.Close();
            w.Line();
            w.Line("private " + model.Name + "[]? _parallelWorkers;");
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// Opt-in multi-threaded batch: splits the batch into contiguous chunks, one per worker, each worker a separate");
            w.Line("/// instance (scratch buffers of its own, the same read-only weights), created on the first call and kept. Same bytes");
            w.Line("/// as <see cref=\"Infer(ReadOnlySpan{" + tin + "}, Span{" + tout + "}, int)\"/>. Unlike Infer it allocates a little per call");
            w.Line("/// (task scheduling) and needs a public parameterless constructor; maxDegreeOfParallelism &lt;= 0 means one worker per core.");
            w.Line("/// Not thread-safe itself: one call at a time per instance.");
            w.Line("/// </summary>");
            w.Open($"public void InferParallel(ReadOnlyMemory<{tin}> inputs, Memory<{tout}> outputs, int batchSize, int maxDegreeOfParallelism = 0)");
            w.Line("if (batchSize < 0 || inputs.Length != (long)batchSize * InputLength) throw new ArgumentException($\"expected {batchSize} x {InputLength} input elements, got {inputs.Length}\", nameof(inputs));");
            w.Line("if (outputs.Length != (long)batchSize * OutputLength) throw new ArgumentException($\"expected room for {batchSize} x {OutputLength} output elements, got {outputs.Length}\", nameof(outputs));");
            Guarded(w, () => w.Line("InferParallelCore(inputs, outputs, batchSize, maxDegreeOfParallelism);"));
            w.Close();
            w.Line();
            w.Open($"private void InferParallelCore(ReadOnlyMemory<{tin}> inputs, Memory<{tout}> outputs, int batchSize, int maxDegreeOfParallelism)");
            w.Line("CheckInput(inputs.Span);");
            w.Line("int workers = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount;");
            w.Line("if (workers > batchSize) workers = batchSize;");
            w.Open("if (workers <= 1)");
            w.Open("for (int b = 0; b < batchSize; b++)");
            w.Line("InferCore(inputs.Span.Slice(b * InputLength, InputLength), outputs.Span.Slice(b * OutputLength, OutputLength));");
            w.Close();
            w.Line("return;");
            w.Close();
            w.Line();
            w.Open("if (_parallelWorkers == null || _parallelWorkers.Length < workers)");
            w.Line($"var pool = new {model.Name}[workers];");
            w.Line("pool[0] = this;");
            w.Open("for (int i = 1; i < workers; i++)");
            w.Line($"pool[i] = _parallelWorkers != null && i < _parallelWorkers.Length ? _parallelWorkers[i] : new {model.Name}();");
            w.Close();
            w.Line("_parallelWorkers = pool;");
            w.Close();
            w.Line();
            w.Line($"{model.Name}[] instances = _parallelWorkers;");
            w.Line("int count = workers;");
            w.Open("System.Threading.Tasks.Parallel.For(0, count, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = count }, worker =>");
            w.Line("int start = (int)((long)batchSize * worker / count), end = (int)((long)batchSize * (worker + 1) / count);");
            w.Line("ReadOnlySpan<" + tin + "> src = inputs.Span;");
            w.Line("Span<" + tout + "> dst = outputs.Span;");
            w.Open("for (int b = start; b < end; b++)");
            w.Line("instances[worker].InferCore(src.Slice(b * InputLength, InputLength), dst.Slice(b * OutputLength, OutputLength));");
            w.Close();
            w.Close(");");
            w.Close();
            w.Line();
            EmitGuardMembers(w);
            w.Open($"private static void CheckInput(ReadOnlySpan<{tin}> input)");
            if (inRange.Min > input.Type.MinValue || inRange.Max < input.Type.MaxValue)
            {
                if (tin == "sbyte")
                {
                    w.Line("if (QuantGenKernels.InRange(input, InputMin, InputMax)) return; // vectorized; the loop below only names the offender");
                }

                w.Open("for (int i = 0; i < input.Length; i++)");
                w.Line($"if (input[i] < InputMin || input[i] > InputMax) throw new ArgumentException($\"input[{{i}}] = {{input[i]}} is outside the declared input range [{{InputMin}}, {{InputMax}}]\", nameof(input));");
                w.Close();
            }
            else
            {
                w.Line("// every value of the input type lies in the declared input range");
            }

            w.Close();
            w.Line();
            w.Open($"private void InferCore(ReadOnlySpan<{tin}> input, Span<{tout}> output)");
            foreach (GraphNode node in plan.CallOrder(graph.Nodes))
            {
                IEnumerable<string> args = node.Inputs.Where(t => t.Kind != TensorKind.Initializer).Select(t => t.Kind == TensorKind.Input ? "input" : Buffer(t))
                    .Concat(node.Outputs.Select(o => direct && o.Name == output.Name ? "output" : Buffer(o)));
                w.Line($"Layer_{LayerId(node)}({string.Join(", ", args)});");
            }

            if (!direct)
            {
                w.Line($"{Buffer(output)}.CopyTo(output);");
            }

            w.Close();
            if (rowChain != null)
            {
                w.Line();
                w.Line($"/// <summary>count (1 to {batchRows}) samples through the Dense chain, each layer one GEMM over count x rows.</summary>");
                w.Open($"private void RunRows(ReadOnlySpan<{tin}> input, Span<{tout}> output, int count)");
                for (int i = 0; i < rowChain.Count; i++)
                {
                    string src = i == 0 ? "input" : $"_rows_{LayerId(rowChain[i - 1].Node)}";
                    string dst = i + 1 == rowChain.Count ? "output" : $"_rows_{LayerId(rowChain[i].Node)}";
                    w.Line($"Rows_{LayerId(rowChain[i].Node)}({src}, {dst}, count);");
                }

                w.Close();
                foreach (DenseGemm g in rowChain.Select(l => denseGemms[l.Node.Layer.Name]))
                {
                    w.Line();
                    w.Line($"/// <summary>Layer \"{g.Id}\" on count samples at once (count x {g.RowsPerSample} GEMM rows).</summary>");
                    w.Line("[MethodImpl(MethodImplOptions.AggressiveOptimization)]");
                    w.Open($"private void Rows_{g.Id}(ReadOnlySpan<sbyte> x, Span<sbyte> y, int count)");
                    EmitDenseGemmCall(w, g, g.RowsPerSample == 1 ? "count" : $"count * {g.RowsPerSample}", "x", "y");
                    w.Close();
                }
            }

            EmitLayersAndWeights(w, layers);
            return w.ToString();
        }

        private void EmitLayersAndWeights(SourceWriter w, SourceWriter layers)
        {
            w.Line();
            foreach (string line in layers.ToString().TrimEnd('\n').Split('\n'))
            {
                w.Line(line);
            }

            w.Line("// Weights of all layers in the kernels' layout (int8 rows padded to 64 bytes; int32 little-endian sections), copied into a pinned");
            w.Line("// array at s_blobAt, the first 64-byte aligned byte: every section starts on a cache line, so no 32-byte weight load splits one.");
            string? initializer = BlobInitializer?.Invoke(blob.ToArray(), blobSegments);
            string source = initializer ?? $"Convert.FromBase64String(\"{Convert.ToBase64String(blob.ToArray())}\")";
            w.Line($"private static readonly byte[] s_blob = QuantGenKernels.PinAligned64({source});");
            w.Line("private static readonly int s_blobAt = QuantGenKernels.AlignedStart64(s_blob);");
            w.Line();
            w.Open("private static ref byte BlobData");
            w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
            w.Line("get => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(s_blob), s_blobAt);");
            w.Close();
            foreach (string line in statics.ToString().TrimEnd('\n').Split('\n'))
            {
                w.Line(line);
            }
        }

        /// <summary>Every string from the model reaches generated C# through the one escaper of the core.</summary>
        private static string Quote(string s) => QuantGen.Naming.CSharpLiteral.Quote(s);

        private static (long Macs, long Bytes) Cost(GraphNode n)
        {
            switch (n.Layer)
            {
                case DenseLayer _:
                case Conv2dLayer _:
                    return (n.Macs, ((long)n.Weight!.ElementCount * n.Weight.Type.Bits + 7) / 8 + (n.Bias != null ? 4L * n.Bias.ElementCount : 0));
                case MatMulLayer _:
                    return (n.Macs, 0);
                case AddLayer _:
                    return (0, n.Inputs.Where(t => t.Kind == TensorKind.Initializer).Sum(t => (t.ElementCount * (long)t.Type.Bits + 7) / 8));
                default:
                    return (0, 0);
            }
        }

        internal int AddRows(int[] w, int n, int k, int kp)
        {
            while (blob.Count % 64 != 0)
            {
                blob.Add(0);
            }

            int offset = blob.Count;
            blobSegments.Add(new BlobSegment(BlobSegmentKind.Rows, offset, n * kp, w, n, k, kp));
            for (int o = 0; o < n; o++)
            {
                for (int j = 0; j < kp; j++)
                {
                    blob.Add(j < k ? unchecked((byte)(sbyte)w[o * k + j]) : (byte)0);
                }
            }

            return offset;
        }

        /// <summary>
        /// Per-channel constants of the GEMM's fused requantization, padded to np channels. Returns the zero point the kernel
        /// still has to add: 0 when it was folded into the rounding constant, zo + ((acc m + 2^(s-1)) &gt;&gt; s) ==
        /// (acc m + 2^(s-1) + zo 2^s) &gt;&gt; s (floor division by 2^s of a multiple of 2^s), done where every shift is at most 53
        /// so that |acc m| &lt; 2^62 plus |zo 2^s + 2^(s-1)| &lt; 2^62 cannot overflow int64.
        /// </summary>
        internal long EmitRequantStatics(string id, int n, int np, Func<int, int> bias, Func<int, Dyadic> requant, long zo)
        {
            int[] b = new int[np];
            long[] mul = new long[np], round = new long[np], shift = new long[np];
            bool fold = Math.Abs(zo) <= 255 && Enumerable.Range(0, n).All(o => requant(o).Shift <= 53);
            for (int o = 0; o < n; o++)
            {
                Dyadic r = requant(o);
                b[o] = bias(o);
                mul[o] = r.Multiplier;
                shift[o] = r.Shift;
                round[o] = (r.Shift == 0 ? 0 : 1L << (r.Shift - 1)) + (fold ? zo << r.Shift : 0);
            }

            Static("int", $"{id}_Bias32", b, v => I(v));
            Static("long", $"{id}_Mul64", mul, I);
            Static("long", $"{id}_Round64", round, I);
            Static("long", $"{id}_Shift64", shift, I);
            return fold ? 0 : zo;
        }

        /// <summary>A Dense layer on the packed int8 GEMM: what its call needs, for the single-input and the batched paths.</summary>
        internal sealed class DenseGemm
        {
            public DenseGemm(string id, int n, int k, long lo, long hi, long zo)
            {
                Id = id;
                N = n;
                K = k;
                Lo = lo;
                Hi = hi;
                Zo = zo;
            }

            public string Id { get; }

            public int N { get; }

            public int K { get; }

            public long Lo { get; }

            public long Hi { get; }

            /// <summary>The output zero point the kernel adds (0 when folded into the rounding constant).</summary>
            public long Zo { get; set; }

            public int Offset { get; set; }

            public int RowsPerSample { get; set; }

            /// <summary>
            /// A bias Add fused into the store (<see cref="BiasFusion"/>): the AddRowsS8 arguments between the GEMM's output
            /// clamp and y (m, the t and q constants as spans, s, the Add's clamp), or null.
            /// </summary>
            public string[]? AddRows { get; set; }

            /// <summary>The AVX-VNNI branch calls QuantGenPointwiseKernels.GemmVnniHigh (DenseGemmPlan.MulHigh) with the constants at MulHighRefs.</summary>
            public bool MulHigh { get; set; }

            /// <summary>References to the multiply-high constants in the blob (m, 2^(t - 1) + zo 2^t, t), set where MulHigh.</summary>
            public string[]? MulHighRefs { get; set; }

            public int KQuads => (K + 3) / 4;

            public int KPairs => (K + 1) / 2;

            public int Np8 => (N + 7) / 8 * 8;

            public int Np16 => (N + 15) / 16 * 16;

            /// <summary>Per-channel constants are read 16 at a time from 16- or 8-channel blocks: np16 entries cover both (a last
            /// 8-channel block starts at np8 - 8 only when np8 is an odd multiple of 8, so np8 + 8 == np16).</summary>
            public int NpStatics => Np16;
        }

        /// <summary>The call of a Dense layer's GEMM on `rows` rows of x (a ReadOnlySpan&lt;sbyte&gt;) into y (a Span&lt;sbyte&gt;).</summary>
        internal void EmitDenseGemmCall(SourceWriter w, DenseGemm g, string rows, string x, string y)
        {
            string[] requant = { $"ref MemoryMarshal.GetReference({g.Id}_Mul64)", $"ref MemoryMarshal.GetReference({g.Id}_Round64)", $"ref MemoryMarshal.GetReference({g.Id}_Shift64)", I(g.Zo), I(g.Lo), I(g.Hi), $"ref MemoryMarshal.GetReference({y})", I(g.N) };
            w.Open("if (QuantGenKernels.UseVnni)");
            string src = x, stride = I(g.K);
            if (g.K % 4 != 0)
            {
                // vpdpbusd reads whole quads: rows are copied to a scratch with a stride of 4 * kQuads (the pad meets zero weights).
                w.Line("Span<sbyte> xu = _gemmU;");
                w.Open($"for (int r = 0; r < {rows}; r++)");
                w.Line($"{x}.Slice(r * {g.K}, {g.K}).CopyTo(xu.Slice(r * {g.KQuads * 4}, {g.K}));");
                w.Close();
                src = "xu";
                stride = I(g.KQuads * 4);
            }

            string[] head = { $"ref MemoryMarshal.GetReference({src})", rows, stride, $"ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref BlobData, {g.Offset}))", I(g.KQuads), I(g.Np8), I(g.N),
                $"ref MemoryMarshal.GetReference({g.Id}_BiasU32)" };
            if (g.AddRows is string[] post)
            {
                // The fused bias Add: its spans become refs for the kernel (AddRows holds m, t, q, s, lo, hi).
                string[] refs = { post[0], $"ref MemoryMarshal.GetReference({post[1]})", $"ref MemoryMarshal.GetReference({post[2]})", post[3], post[4], post[5] };
                w.Line(KernelLibrary.Call("QuantGenPointwiseKernels", "GemmVnniHighAddRows", head.Concat(g.MulHighRefs!).Concat(new[] { I(g.Lo), I(g.Hi) }).Concat(refs)
                    .Concat(new[] { $"ref MemoryMarshal.GetReference({y})", I(g.N) }).ToArray()) + ";");
            }
            else
            {
                w.Line(g.MulHigh
                    ? KernelLibrary.Call("QuantGenPointwiseKernels", "GemmVnniHigh", head.Concat(g.MulHighRefs!).Concat(new[] { I(g.Lo), I(g.Hi), $"ref MemoryMarshal.GetReference({y})", I(g.N) }).ToArray()) + ";"
                    : K("GemmVnni", head.Concat(new[] { "ref Unsafe.NullRef<int>()" }).Concat(requant).ToArray()) + ";");
            }

            w.Close();
            w.Open("else");
            w.Line("Span<short> xs = _gemmA;");
            w.Line(K("WidenRows", x, rows, I(g.K), "0", "xs", I(g.KPairs * 2)) + ";");
            w.Line($"short[] wp = s_{g.Id}_Pairs ??= {K("PairsFromQuads", "s_blob", "s_blobAt + " + I(g.Offset), I(g.N), I(g.K), I(g.Np8), I(g.Np16))};");
            w.Line(K("GemmRequant", new[] { "ref MemoryMarshal.GetReference(xs)", rows, I(g.KPairs * 2), "ref MemoryMarshal.GetArrayDataReference(wp)", I(g.KPairs), I(g.Np16), I(g.N),
                $"ref MemoryMarshal.GetReference({g.Id}_Bias32)" }.Concat(requant).ToArray()) + ";");
            if (g.AddRows is string[] rest)
            {
                w.Line($"// The fused bias Add on the GEMM's int8 output, in place (each element read before it is written).");
                w.Line(K("AddRowsS8", new[] { y, I(g.N) }.Concat(rest).Concat(new[] { y }).ToArray()) + ";");
            }

            w.Close();
        }

        /// <summary>Weights [n, k] as int8 in the VNNI layout [ceil(k / 4)][np8][4], zero padded, 64-byte aligned in the blob.</summary>
        internal int AddPackedQuads(int[] w, int n, int k, int np8)
        {
            while (blob.Count % 64 != 0)
            {
                blob.Add(0);
            }

            int offset = blob.Count;
            int kQuads = (k + 3) / 4;
            blobSegments.Add(new BlobSegment(BlobSegmentKind.Quads, offset, kQuads * np8 * 4, w, n, k, np8));
            for (int q = 0; q < kQuads; q++)
            {
                for (int o = 0; o < np8; o++)
                {
                    for (int t = 0; t < 4; t++)
                    {
                        int j = (4 * q) + t;
                        blob.Add(o < n && j < k ? unchecked((byte)(sbyte)w[(o * k) + j]) : (byte)0);
                    }
                }
            }

            return offset;
        }

        internal int AddBytes(IEnumerable<long> values)
        {
            while (blob.Count % 64 != 0)
            {
                blob.Add(0);
            }

            int offset = blob.Count;
            foreach (long v in values)
            {
                blob.Add(unchecked((byte)v));
            }

            return offset;
        }

        /// <summary>
        /// The int32 multiply-high requantization's constants (Conv2dLowering.MulHighApplies holds for every channel) in the
        /// blob, count entries each (zero past n): m, 2^(t - 1) + zo * 2^t and t = shift - 32; returns the three references the
        /// GEMM kernels take (mulHi, addHi, shiftHi). In the blob, not array literals: a Dense of n channels needs n + 1 entries.
        /// </summary>
        internal string[] MulHighBlob(int n, int count, Func<int, Dyadic> requant, long zo)
        {
            var values = new int[3 * count];
            for (int o = 0; o < n; o++)
            {
                Dyadic r = requant(o);
                int t = r.Shift - 32;
                values[o] = r.Multiplier;
                values[count + o] = checked((int)((1L << (t - 1)) + (zo << t)));
                values[(2 * count) + o] = t;
            }

            int offset = AddInts(values);
            return new[] { 0, 1, 2 }.Select(i => $"ref Unsafe.As<byte, int>(ref Unsafe.Add(ref BlobData, {offset + (4 * i * count)}))").ToArray();
        }

        internal int AddInts(int[] values)
        {
            while (blob.Count % 4 != 0)
            {
                blob.Add(0);
            }

            int offset = blob.Count;
            blobSegments.Add(new BlobSegment(BlobSegmentKind.Ints, offset, values.Length * 4, values, values.Length, 0, 0));
            foreach (int v in values)
            {
                blob.Add((byte)v);
                blob.Add((byte)(v >> 8));
                blob.Add((byte)(v >> 16));
                blob.Add((byte)(v >> 24));
            }

            return offset;
        }

        /// <summary>
        /// A constant table read as a ReadOnlySpan property. Byte tables stay <c>=> new byte[] { ... }</c> (a pointer into the
        /// assembly's data). Wider ones are a static readonly array behind the property: the compiler turns <c>=> new long[] { ... }</c>
        /// into RuntimeHelpers.CreateSpan(ldtoken field), and code the JIT does not optimize (a Debug build of the consumer)
        /// allocates a 72-byte field stub for that ldtoken on every read (measured: 864 bytes per Infer of the digits MLP).
        /// </summary>
        internal void Static<T>(string type, string name, IEnumerable<T> values, Func<T, string> format)
        {
            string items = string.Join(", ", values.Select(format));
            if (type == "byte" || type == "sbyte")
            {
                statics.Line($"private static ReadOnlySpan<{type}> {name} => new {type}[] {{ {items} }};");
                return;
            }

            statics.Line($"private static readonly {type}[] s_{name} = {{ {items} }};");
            statics.Line($"private static ReadOnlySpan<{type}> {name} => s_{name};");
        }

        private void EmitLayer(SourceWriter w, CpuLayerPlan lp)
        {
            GraphNode node = lp.Node;
            LayerSpec layer = node.Layer;
            string id = LayerId(node);
            LayerRanges lr = lp.Layer.Ranges;
            IReadOnlyList<string> names = InputNames(node);
            IEnumerable<string> parameters = node.Inputs.Select((t, i) => (t, i)).Where(p => p.t.Kind != TensorKind.Initializer).Select(p => $"ReadOnlySpan<{CType(p.t.Type)}> {names[p.i]}")
                .Concat(node.Outputs.Select((o, i) => $"Span<{CType(o.Type)}> {(node.Outputs.Count == 1 ? "y" : "y" + I(i))}"));
            w.Line($"/// <summary>");
            w.Line($"/// Layer \"{Xml(layer.Name)}\": {layer.Op} {string.Join(" x ", node.Inputs.Select(t => Shape(t.Shape) + " " + t.Type))} -> {string.Join(", ", node.Outputs.Select(o => Shape(o.Shape) + " " + o.Type))}.");
            foreach (KeyValuePair<string, IntRange> kv in lr.Intermediates)
            {
                w.Line($"/// Proven range of {kv.Key}: {kv.Value} ({kv.Value.Bits} bits).");
            }

            w.Line($"/// </summary>");
            w.Line("[MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimized from the first call: no tier-0 code or OSR in hot loops");
            w.Open($"private void Layer_{id}({string.Join(", ", parameters)})");
            lp.Strategy.EmitPlan(this, w, node, lp.Kernel);
            w.Close();
            w.Line();
        }

        /// <summary>
        /// The parameter name of each input of a layer method: "x" for one activation, "a" and "b" for two, "x0", "x1", ...
        /// for more; constants (initializers) get "c0", "c1", ... by input index (the lowering declares them from the blob).
        /// </summary>
        internal IReadOnlyList<string> InputNames(GraphNode node)
        {
            int data = node.Inputs.Count(t => t.Kind != TensorKind.Initializer);
            var names = new List<string>();
            int d = 0;
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                if (node.Inputs[i].Kind == TensorKind.Initializer)
                {
                    names.Add("c" + I(i));
                    continue;
                }

                names.Add(data == 1 ? "x" : data == 2 ? (d == 0 ? "a" : "b") : "x" + I(d));
                d++;
            }

            return names;
        }

        /// <summary>Text for an XML doc comment.</summary>
        internal static string Xml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

        internal static string Index(string i, int count, int total) => count == total ? i : $"{i} % {count}";

        /// <summary>bias - zx * sum(w) per output channel: the zero-point correction folded at build time.</summary>
        private static long[] FoldedBias(GraphNode node)
        {
            TensorInfo x = node.Inputs[0], wt = node.Weight!;
            int n = wt.Shape[0], k = wt.Shape[1];
            int[] weights = wt.IntData!;
            int[] bias = node.Bias?.IntData ?? new int[n];
            long zx = x.Quant!.ZeroPoint;
            var folded = new long[n];
            for (int o = 0; o < n; o++)
            {
                long sum = 0;
                for (int j = 0; j < k; j++)
                {
                    sum += weights[o * k + j];
                }

                folded[o] = bias[o] - zx * sum;
            }

            return folded;
        }

        internal void EmitDenseGemm(SourceWriter w, GraphNode node, DenseGemmPlan p, bool gemv = false)
        {
            var d = (DenseLayer)node.Layer;
            string id = LayerId(node);
            TensorInfo wt = node.Weight!, y = node.Output;
            int n = p.N, k = p.K, rows = p.RowsPerSample;
            int[] weights = wt.IntData!;
            long[] folded = FoldedBias(node);
            w.Line($"// acc = bias - zero_point(x) * sum(w) + sum x * w: the zero-point correction is folded into {id}_Bias at build time.");

            // Packed GEMM, two kernels chosen at run time: AVX-VNNI (vpdpbusd) on weights packed at build time as int8 quads
            // of inputs for 8 channels per 256-bit vector, the activations run as u = x + 128 with -128 * sum(w) folded into
            // the bias; elsewhere the int16 pair GEMM (vpmaddwd), its layout repacked from the quads once, on first use.
            // Both fuse the requantization into the tile's store.
            var dense = new DenseGemm(id, n, k, d.Integers.Clamp.Lo, d.Integers.Clamp.Hi, y.Quant!.ZeroPoint);
            dense.Offset = AddPackedQuads(weights, n, k, dense.Np8);
            var unsigned = new long[n];
            for (int o = 0; o < n; o++)
            {
                long sum = 0;
                for (int j = 0; j < k; j++)
                {
                    sum += weights[o * k + j];
                }

                unsigned[o] = folded[o] - 128 * sum;
            }

            dense.Zo = EmitRequantStatics(id, n, dense.NpStatics, o => unchecked((int)folded[o]), o => d.Integers.Requant[o], y.Quant!.ZeroPoint);
            Static("int", $"{id}_BiasU32", Enumerable.Range(0, dense.NpStatics).Select(o => o < n ? unchecked((int)unsigned[o]) : 0), v => I(v));
            statics.Line($"private static short[]? s_{id}_Pairs; // {id}'s weights in the int16 pair layout, built on first use where AVX-VNNI is missing");
            dense.RowsPerSample = rows;
            if (p.MulHigh)
            {
                // The tiles read 16 constants from a block start and the odd lanes one multiplier further: NpStatics + 1 entries.
                dense.MulHigh = true;
                dense.MulHighRefs = MulHighBlob(n, dense.NpStatics + 1, o => d.Integers.Requant[o], y.Quant!.ZeroPoint);
                w.Line("// Requantized in int32 lanes in the tile store (QuantGenPointwiseKernels.GemmVnniHigh): every channel's shift is at least 33 and");
                w.Line("// |2^(t - 1) + zo * 2^t| < 2^30 (t = shift - 32), so (high half of acc * m + 2^(t - 1) + zo * 2^t) >> t equals the reference's");
                w.Line("// zo + ((acc * m + 2^(shift - 1)) >> shift) for every int32 acc.");
            }

            if (plan.FusedBias(node) is BiasFusion fused)
            {
                AddRowsPlan ar = fused.Plan;
                int tOff = AddInts(ar.T.ToArray()), qOff = AddInts(ar.Q.ToArray());
                dense.AddRows = new[]
                {
                    I(ar.M), $"MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, s_blobAt + {tOff}, {ar.N * 4}))", $"MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, s_blobAt + {qOff}, {ar.N * 4}))",
                    I(ar.S), I(ar.Lo), I(ar.Hi),
                };
                w.Line($"// The bias Add \"{NamedTensorApi.Esc(fused.Add.Layer.Name)}\" fused into the store: y = clamp(((v * {ar.M} + t[j]) >> {ar.S}) + q[j], {ar.Lo}, {ar.Hi}) of this GEMM's");
                w.Line($"// int8 value v (t, q at blob offsets {tOff}, {qOff}; int32 proven exact), written to the Add's buffer.");
            }

            denseGemms[node.Layer.Name] = dense;
            w.Line($"// Kernel int8-gemm-vnni: {rows} x {k} times {k} x {n}; weights packed as [{dense.KQuads}][{dense.Np8}][4] int8 at blob offset {dense.Offset}.");
            w.Line($"// Exact for every int8 value (u8 x s8 products of vpdpbusd, or int16 pairs of vpmaddwd, never saturate); the accumulator range {plan.Model.Layer(node).Ranges.Find("acc")} was proven to fit int32.");
            if (gemv)
            {
                EmitDenseGemvCall(w, node, dense, p.GemvWide); // DenseGemvHigh (CpuEmitter.Gemv.cs)
                return;
            }

            EmitDenseGemmCall(w, dense, I(rows), "x", "y");
        }

        internal void EmitDenseDot(SourceWriter w, GraphNode node, DenseDotPlan p)
        {
            var d = (DenseLayer)node.Layer;
            string id = LayerId(node);
            TensorInfo wt = node.Weight!, y = node.Output;
            int n = p.N, k = p.K, rows = p.Rows, kp = p.KPadded;
            int[] weights = wt.IntData!;
            string ty = CType(y.Type);
            w.Line($"// acc = bias - zero_point(x) * sum(w) + sum x * w: the zero-point correction is folded into {id}_Bias at build time.");
            Static("long", $"{id}_Bias", FoldedBias(node), I);
            Static("int", $"{id}_Mul", d.Integers.Requant.Select(r => r.Multiplier), v => I(v));
            Static("byte", $"{id}_Shift", d.Integers.Requant.Select(r => r.Shift), v => I(v));
            bool fast = p.Fast;
            w.Line(fast
                ? "// Kernel int8-maddubs: every weight is in [-127, 127] (checked at build time), so vpmaddubsw cannot saturate."
                : "// Kernel int8-widen: some weight is -128, so the saturation-free sign-extending kernel is used.");
            int offset = AddRows(weights, n, k, kp);
            w.Line($"ref sbyte w0 = ref Unsafe.As<byte, sbyte>(ref BlobData);");
            w.Line("Span<sbyte> pad = _pad;");
            w.Line("ref sbyte xp = ref MemoryMarshal.GetReference(pad);");
            w.Line($"ReadOnlySpan<long> bias = {id}_Bias;");
            w.Line($"ReadOnlySpan<int> mul = {id}_Mul;");
            w.Line($"ReadOnlySpan<byte> shift = {id}_Shift;");
            w.Open($"for (int r = 0; r < {rows}; r++)");
            w.Line($"x.Slice(r * {k}, {k}).CopyTo(pad); // bytes past {k} may hold stale values: they meet zero weights");
            w.Open($"for (int o = 0; o < {n}; o++)");
            w.Line($"long acc = bias[o] + {K(fast ? "DotS8Fast" : "DotS8Exact", "ref xp", $"ref Unsafe.Add(ref w0, {offset} + o * {kp})", I(kp))};");
            w.Line($"y[r * {n} + o] = ({ty})QuantGenKernels.Clamp({I(y.Quant!.ZeroPoint)} + QuantGenKernels.RoundShift(acc * mul[o], shift[o]), {I(d.Integers.Clamp.Lo)}, {I(d.Integers.Clamp.Hi)});");
            w.Close();
            w.Close();
        }

        internal void EmitDenseScalar(SourceWriter w, GraphNode node)
        {
            var d = (DenseLayer)node.Layer;
            string id = LayerId(node);
            TensorInfo wt = node.Weight!, y = node.Output;
            int n = wt.Shape[0], k = wt.Shape[1], rows = node.Inputs[0].ElementCount / k;
            int[] weights = wt.IntData!;
            string ty = CType(y.Type);
            w.Line($"// acc = bias - zero_point(x) * sum(w) + sum x * w: the zero-point correction is folded into {id}_Bias at build time.");
            Static("long", $"{id}_Bias", FoldedBias(node), I);
            Static("int", $"{id}_Mul", d.Integers.Requant.Select(r => r.Multiplier), v => I(v));
            Static("byte", $"{id}_Shift", d.Integers.Requant.Select(r => r.Shift), v => I(v));
            int offset = AddInts(weights);
            w.Line("// Kernel scalar-int64: operands wider than int8; exact int64 accumulation.");
            w.Line($"ReadOnlySpan<int> wt = MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, s_blobAt + {offset}, {weights.Length * 4}));");
            w.Line($"ReadOnlySpan<long> bias = {id}_Bias;");
            w.Line($"ReadOnlySpan<int> mul = {id}_Mul;");
            w.Line($"ReadOnlySpan<byte> shift = {id}_Shift;");
            w.Open($"for (int r = 0; r < {rows}; r++)");
            w.Open($"for (int o = 0; o < {n}; o++)");
            w.Line("long acc = bias[o];");
            w.Open($"for (int j = 0; j < {k}; j++)");
            w.Line($"acc += (long)x[r * {k} + j] * wt[o * {k} + j];");
            w.Close();
            w.Line($"y[r * {n} + o] = ({ty})QuantGenKernels.Clamp({I(y.Quant!.ZeroPoint)} + QuantGenKernels.RoundShift(acc * mul[o], shift[o]), {I(d.Integers.Clamp.Lo)}, {I(d.Integers.Clamp.Hi)});");
            w.Close();
            w.Close();
        }

        internal void EmitMatMul(SourceWriter w, GraphNode node, MatMulPlan p)
        {
            TensorInfo a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
            int[] sa = a.Shape, sb = b.Shape;
            int rowsA = sa[sa.Length - 2], k = sa[sa.Length - 1], cols = sb[sb.Length - 1], batches = a.ElementCount / (rowsA * k);
            var m = (MatMulLayer)node.Layer;
            string id = LayerId(node);
            long za = a.Quant!.ZeroPoint, zb = b.Quant!.ZeroPoint;
            long amax = p.AMax, bmax = p.BMax;
            int kp = p.KPadded;
            Dyadic r = m.Integers.Requant;
            string ty = CType(y.Type), requant = $"({ty})QuantGenKernels.Clamp({I(y.Quant!.ZeroPoint)} + QuantGenKernels.RoundShift(acc * {r.Multiplier}, {r.Shift}), {I(y.Type.MinValue)}, {I(y.Type.MaxValue)})";
            if (p.Kernel == MatMulLowering.VnniKernel || p.Kernel == MatMulLowering.GemmKernel)
            {
                int kPairs = (k + 1) / 2, stride = kPairs * 2, np = (cols + 15) / 16 * 16;
                long zoKernel = EmitRequantStatics(id, cols, np, _ => 0, _ => r, y.Quant!.ZeroPoint);
                if (p.Kernel == MatMulLowering.VnniKernel)
                {
                    // int8 x int8 with AVX-VNNI: sum (a - za)(b - zb) = sum (a + 128) b - (128 + za) sum_t b[t, j] - zb sum_t a[i, t] + k za zb.
                    // The first term is GemmVnni on raw a and raw b; the column terms go to a per-call bias written while packing b,
                    // the row term to a per-row bias. Every term wraps in int32; the proven bound on the accumulator makes the sum exact.
                    int kQuads = (k + 3) / 4, np8 = (cols + 7) / 8 * 8;
                    GraphNode? t = p.FusedTranspose == null ? null : graph.Nodes.First(nd => nd.Layer.Name == p.FusedTranspose);
                    string src = "b", offset = $"bt * {k * cols}", tStride = I(cols), jStride = "1";
                    if (t != null)
                    {
                        // b[bt, t, j] = x[...] of the transpose's input with t contiguous: quads are read whole, no transpose pass.
                        TensorInfo tx = t.Inputs[0];
                        int[] perm = ((TransposeLayer)t.Layer).Perm;
                        int[] st = new int[tx.Shape.Length];
                        int acc = 1;
                        for (int ax = st.Length - 1; ax >= 0; ax--)
                        {
                            st[ax] = acc;
                            acc *= tx.Shape[ax];
                        }

                        // Rank 3: the batch axis is perm[0]; higher ranks keep their leading axes, so a flat batch index steps by the
                        // input's last two axes.
                        int r3 = perm.Length - 3;
                        src = Buffer(tx);
                        offset = $"bt * {(perm.Length == 3 ? st[perm[0]] : st[r3])}";
                        tStride = "1";
                        jStride = I(st[perm[perm.Length - 1]]);
                        w.Line($"// The transpose {t.Layer.Name} is fused into the packing: b is read from {tx.Name} (perm [{string.Join(", ", perm)}]).");
                    }

                    string pack = t != null && !p.PadK
                        ? KernelLibrary.Call("QuantGenTransformerKernels", "PackQuadsK", src, offset, tStride, jStride, I(k), I(cols), "tq", I(np8), "colBias", I(-(128 + za)), I(unchecked((int)(k * za * zb))))
                        : K("PackQuads", src, offset, tStride, jStride, I(k), I(cols), "tq", I(np8), "colBias", I(-(128 + za)), I(unchecked((int)(k * za * zb))));
                    if (p.PadK)
                    {
                        pack = KernelLibrary.Call("QuantGenTransformerKernels", "PackQuadsK", src, offset, tStride, jStride, I(k), I(cols), "tq", I(np8), "colBias", I(-(128 + za)), I(unchecked((int)(k * za * zb))));
                    }

                    if (p.MulHigh)
                    {
                        // One requantization for the layer: the multiply-high store's constants are arguments (held in registers).
                        int th = r.Shift - 32;
                        int addHi = checked((int)((1L << (th - 1)) + (y.Quant!.ZeroPoint << th)));
                        int kq4 = kQuads * 4;
                        if (t != null && !p.PadK)
                        {
                            // k^T: whole quads of contiguous rows, 8 x 8 int32 transposes (QuantGenAttentionKernels.PackKT).
                            pack = KernelLibrary.Call("QuantGenAttentionKernels", "PackKT", src, offset, jStride, I(k), I(cols), "tq", I(np8), "colBias", I(-(128 + za)), I(unchecked((int)(k * za * zb))));
                        }

                        w.Line("// Requantized in int32 lanes in the tile store (QuantGenAttentionKernels.GemmHighU): the shift is at least 33 and");
                        w.Line("// |2^(t - 1) + zo * 2^t| < 2^30 (t = shift - 32), so (high half of acc * m + 2^(t - 1) + zo * 2^t) >> t equals the reference's");
                        w.Line("// zo + ((acc * m + 2^(shift - 1)) >> shift) for every int32 acc. a runs as u = a + 128 rows of whole quads (RowsU, its row sums on the way).");
                        w.Open("if (QuantGenKernels.UseVnni)");
                        w.Line("Span<sbyte> tq = _mmQuads;");
                        w.Line("Span<int> colBias = _mmColBias, rowBias = _mmRowBias;");
                        w.Open($"for (int bt = 0; bt < {batches}; bt++)");
                        w.Line(pack + ";");
                        w.Line(KernelLibrary.Call("QuantGenAttentionKernels", "RowsU", $"a.Slice(bt * {rowsA * k}, {rowsA * k})", I(rowsA), I(k), I(-zb), "_gemmU", I(kq4), "rowBias") + ";");
                        w.Line(KernelLibrary.Call("QuantGenAttentionKernels", "GemmHighU", "ref _gemmU[0]", I(rowsA), I(kq4), "ref MemoryMarshal.GetReference(tq)", I(kQuads), I(np8), I(cols),
                            "ref MemoryMarshal.GetReference(colBias)", "ref MemoryMarshal.GetReference(rowBias)", I(r.Multiplier), I(addHi), I(th), I(y.Type.MinValue), I(y.Type.MaxValue),
                            $"ref y[bt * {rowsA * cols}]", I(cols)) + ";");
                    }
                    else
                    {
                        // The tile GEMM with the int64 store.
                        string[] Gemm(string a0, string rowsN, string aStride, string rowBias, string y0) => new[]
                        {
                            a0, rowsN, aStride, "ref MemoryMarshal.GetReference(tq)", I(kQuads), I(np8), I(cols), "ref MemoryMarshal.GetReference(colBias)", rowBias,
                            $"ref MemoryMarshal.GetReference({id}_Mul64)", $"ref MemoryMarshal.GetReference({id}_Round64)", $"ref MemoryMarshal.GetReference({id}_Shift64)",
                            I(zoKernel), I(y.Type.MinValue), I(y.Type.MaxValue), y0, I(cols),
                        };

                        w.Open("if (QuantGenKernels.UseVnni)");
                        w.Line("Span<sbyte> tq = _mmQuads;");
                        w.Line("Span<int> colBias = _mmColBias, rowBias = _mmRowBias;");
                        w.Open($"for (int bt = 0; bt < {batches}; bt++)");
                        w.Line(pack + ";");
                        w.Line(K("RowBias", $"a.Slice(bt * {rowsA * k}, {rowsA * k})", I(rowsA), I(k), I(-zb), "rowBias") + ";");
                        if (p.PadK)
                        {
                            // K = {k} is not a multiple of 4: b's last quad is completed with zeros, so the quad of a row that straddles K meets
                            // zero weights (it reads the next row's first bytes); the last row reads its straddling quad from a zero-padded copy.
                            w.Line(K("GemmVnni", Gemm($"ref Unsafe.AsRef(in a[bt * {rowsA * k}])", I(rowsA - 1), I(k), "ref MemoryMarshal.GetReference(rowBias)", $"ref y[bt * {rowsA * cols}]")) + ";");
                            w.Line(KernelLibrary.Call("QuantGenTransformerKernels", "PadLastRow", $"a.Slice(bt * {rowsA * k}, {rowsA * k})", I(k), "_gemmU") + ";");
                            w.Line(K("GemmVnni", Gemm("ref _gemmU[0]", "1", I(kQuads * 4), $"ref rowBias[{rowsA - 1}]", $"ref y[bt * {rowsA * cols} + {(rowsA - 1) * cols}]")) + ";");
                        }
                        else
                        {
                            w.Line(K("GemmVnni", Gemm($"ref Unsafe.AsRef(in a[bt * {rowsA * k}])", I(rowsA), I(k), "ref MemoryMarshal.GetReference(rowBias)", $"ref y[bt * {rowsA * cols}]")) + ";");
                        }
                    }

                    w.Close();
                    w.Line();
                    w.Line("return;");
                    w.Close();
                    w.Line();
                }

                w.Line($"// Kernel int16-gemm-pmaddwd: |a - za| <= {amax}, |b - zb| <= {bmax}, so {amax} * {bmax} * {kp} < 2^31 and int32 lanes are exact.");
                w.Line($"// Per batch: a - za as int16 rows, b - zb packed into the GEMM's pair layout [{kPairs}][{np}][2], one register-blocked GEMM with fused requantization.");
                w.Line("Span<short> ta = _gemmA, tb = _gemmB;");
                w.Open($"for (int bt = 0; bt < {batches}; bt++)");
                w.Line(K("WidenRows", $"a.Slice(bt * {rowsA * k}, {rowsA * k})", I(rowsA), I(k), I(za), "ta", I(stride)) + ";");
                w.Line(K("PackPairs", $"b.Slice(bt * {k * cols}, {k * cols})", I(k), I(cols), I(zb), "tb", I(np)) + ";");
                w.Line(K("GemmRequant", "ref MemoryMarshal.GetReference(ta)", I(rowsA), I(stride), "ref MemoryMarshal.GetReference(tb)", I(kPairs), I(np), I(cols),
                    $"ref MemoryMarshal.GetReference({id}_Bias32)", $"ref MemoryMarshal.GetReference({id}_Mul64)", $"ref MemoryMarshal.GetReference({id}_Round64)", $"ref MemoryMarshal.GetReference({id}_Shift64)",
                    I(zoKernel), I(y.Type.MinValue), I(y.Type.MaxValue), $"ref y[bt * {rowsA * cols}]", I(cols)) + ";");
                w.Close();
            }
            else if (p.Kernel == MatMulLowering.DotKernel)
            {
                w.Line($"// Kernel int16-pmaddwd: |a - za| <= {amax}, |b - zb| <= {bmax}, so {amax} * {bmax} * {kp} < 2^31 and int32 lanes are exact.");
                w.Line("Span<short> ta = _mmA, tb = _mmB;");
                w.Open($"for (int bt = 0; bt < {batches}; bt++)");
                w.Open($"for (int i = 0; i < {rowsA}; i++)");
                w.Open($"for (int t = 0; t < {k}; t++)");
                w.Line($"ta[i * {kp} + t] = (short)(a[(bt * {rowsA} + i) * {k} + t] - {I(za)});");
                w.Close();
                w.Close();
                w.Open($"for (int j = 0; j < {cols}; j++)");
                w.Open($"for (int t = 0; t < {k}; t++)");
                w.Line($"tb[j * {kp} + t] = (short)(b[(bt * {k} + t) * {cols} + j] - {I(zb)});");
                w.Close();
                if (kp > k)
                {
                    w.Line($"tb.Slice(j * {kp} + {k}, {kp - k}).Clear();");
                }

                w.Close();
                w.Open($"for (int i = 0; i < {rowsA}; i++)");
                w.Open($"for (int j = 0; j < {cols}; j++)");
                w.Line($"long acc = {K("DotS16", $"ref ta[i * {kp}]", $"ref tb[j * {kp}]", I(kp))};");
                w.Line($"y[(bt * {rowsA} + i) * {cols} + j] = {requant};");
                w.Close();
                w.Close();
                w.Close();
            }
            else
            {
                w.Line("// Kernel scalar-int64: operand ranges too wide for int16 lanes; exact int64 accumulation.");
                w.Open($"for (int bt = 0; bt < {batches}; bt++)");
                w.Open($"for (int i = 0; i < {rowsA}; i++)");
                w.Open($"for (int j = 0; j < {cols}; j++)");
                w.Line("long acc = 0;");
                w.Open($"for (int t = 0; t < {k}; t++)");
                w.Line($"acc += ((long)a[(bt * {rowsA} + i) * {k} + t] - {I(za)}) * ((long)b[(bt * {k} + t) * {cols} + j] - {I(zb)});");
                w.Close();
                w.Line($"y[(bt * {rowsA} + i) * {cols} + j] = {requant};");
                w.Close();
                w.Close();
                w.Close();
            }
        }

        internal void EmitShiftmaxRows(SourceWriter w, GraphNode node, ShiftmaxRowsPlan plan)
        {
            var s = (SoftmaxLayer)node.Layer;
            TensorInfo x = node.Inputs[0];
            int len = x.Shape[x.Shape.Length - 1], rows = x.ElementCount / len;
            int magic = plan.Magic;
            {
                ShiftmaxParams p = s.Integers.Shiftmax;
                var table = new int[256];
                for (int dlt = 0; dlt < 256; dlt++)
                {
                    table[dlt] = (int)Shiftmax.ShiftExp(-dlt, p.X0, p.N);
                }

                int off = AddInts(table);
                w.Line($"// Shiftmax on int8 rows, vectorized (QuantGenKernels.ShiftmaxRows); |x| / {-p.X0} = (|x| * {magic}) >> {MagicShift} was checked at build time for every |x| <= {-(long)p.N * p.X0}.");
                w.Line($"ref int expTable = ref Unsafe.As<byte, int>(ref Unsafe.Add(ref BlobData, {off})); // exp(-(max - x)) for max - x in [0, 255]");
                w.Line(K("ShiftmaxRows", "x", I(rows), I(len), I(p.X0), I(p.N), I(magic), I(MagicShift), "ref expTable", "_rowInts", "y", I(32 - p.OutBits)) + ";");
            }
        }

        internal void EmitSoftmaxScalar(SourceWriter w, GraphNode node)
        {
            var s = (SoftmaxLayer)node.Layer;
            TensorInfo x = node.Inputs[0], y = node.Output;
            int len = x.Shape[x.Shape.Length - 1], rows = x.ElementCount / len;
            string ty = CType(y.Type);
            w.Line("Span<long> e = _row;");
            w.Open($"for (int r = 0; r < {rows}; r++)");
            w.Line($"int o = r * {len};");
            w.Line("long max = x[o];");
            w.Open($"for (int i = 1; i < {len}; i++)");
            w.Line("if (x[o + i] > max) max = x[o + i];");
            w.Close();
            w.Line("long sum = 0;");
            if (x.Type.Bits <= 8 && x.Type.IsSigned)
            {
                // int8 input: x - max is one of 256 values, so the exponential is a build-time table (reference numerics).
                var table = new int[256];
                for (int dlt = 0; dlt < 256; dlt++)
                {
                    table[dlt] = (int)(s.Method == SoftmaxMethod.Shiftmax ? Shiftmax.ShiftExp(-dlt, s.Integers.Shiftmax.X0, s.Integers.Shiftmax.N) : IBert.IExp(-dlt, s.Integers.IBert.Exp));
                }

                int off = AddInts(table);
                w.Line($"ref int expTable = ref Unsafe.As<byte, int>(ref Unsafe.Add(ref BlobData, {off})); // exp(-(max - x)) for max - x in [0, 255]");
                w.Open($"for (int i = 0; i < {len}; i++)");
                w.Line("e[i] = Unsafe.Add(ref expTable, (int)(max - x[o + i]));");
                w.Line("sum += e[i];");
                w.Close();
                if (s.Method == SoftmaxMethod.Shiftmax)
                {
                    ShiftmaxParams p = s.Integers.Shiftmax;
                    w.Line("// Shiftmax: the zero point cancels in x - max; the row sum saturates at 2^31 - 1 (all terms are >= 0).");
                    w.Line("if (sum > int.MaxValue) sum = int.MaxValue;");
                    EmitShiftmaxNormalize(w, len, ty, p.OutBits);
                }
                else
                {
                    EmitIBertNormalize(w, len, ty, s.Integers.IBert.OutBits);
                }
            }
            else if (s.Method == SoftmaxMethod.Shiftmax)
            {
                ShiftmaxParams p = s.Integers.Shiftmax;
                w.Line("// Shiftmax: the zero point cancels in x - max; the row sum saturates at 2^31 - 1.");
                w.Open($"for (int i = 0; i < {len}; i++)");
                w.Line($"e[i] = QuantGenKernels.ShiftExp(x[o + i] - max, {p.X0}, {p.N});");
                w.Line("sum += e[i];");
                w.Line("if (sum > int.MaxValue) sum = int.MaxValue;");
                w.Close();
                EmitShiftmaxNormalize(w, len, ty, p.OutBits);
            }
            else
            {
                ISoftmaxParams p = s.Integers.IBert;
                w.Line("// I-BERT i-softmax: one division into 2^62 per row, rounded, saturated at 2^outBits - 1.");
                w.Open($"for (int i = 0; i < {len}; i++)");
                w.Line($"e[i] = QuantGenKernels.IExp(x[o + i] - max, {p.Exp.QLn2}, {p.Exp.QB}, {p.Exp.QC}, {p.Exp.Shift});");
                w.Line("sum += e[i];");
                w.Close();
                EmitIBertNormalize(w, len, ty, p.OutBits);
            }

            w.Close();
        }

        internal const int MagicShift = 20;

        /// <summary>A multiplier with floor(t / -x0) == (t * magic) &gt;&gt; 20 for every t in [0, n * -x0], checked exhaustively.</summary>
        internal static bool ShiftDivisor(ShiftmaxParams p, out int magic)
        {
            long d = -(long)p.X0, top = (long)p.N * d;
            magic = (int)((1L << MagicShift) / d) + 1;
            if (top > (1L << 22) || top * magic >= int.MaxValue)
            {
                return false;
            }

            for (long t = 0; t <= top; t++)
            {
                if (((t * magic) >> MagicShift) != t / d)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Shiftmax row tail: f = floor((2^31 - 1) / sum), y = (e * f) &gt;&gt; (32 - outBits).</summary>
        internal static void EmitShiftmaxNormalize(SourceWriter w, int len, string ty, int outBits)
        {
            w.Line("long f = int.MaxValue / sum;");
            w.Open($"for (int i = 0; i < {len}; i++)");
            w.Line($"y[o + i] = ({ty})((e[i] * f) >> {32 - outBits});");
            w.Close();
        }

        /// <summary>I-BERT i-softmax row tail: one division into 2^62, rounded, saturated at 2^outBits - 1.</summary>
        internal static void EmitIBertNormalize(SourceWriter w, int len, string ty, int outBits)
        {
            w.Line("long f = 4611686018427387904L / sum;");
            w.Open($"for (int i = 0; i < {len}; i++)");
            w.Line($"long v = QuantGenKernels.RoundShift(e[i] * f, {62 - outBits});");
            w.Line($"y[o + i] = ({ty})(v > {I((1L << outBits) - 1)} ? {I((1L << outBits) - 1)} : v);");
            w.Close();
        }

        internal void EmitLayerNormRows(SourceWriter w, GraphNode node)
        {
            var ln = (LayerNormLayer)node.Layer;
            string id = LayerId(node);
            TensorInfo x = node.Inputs[0], y = node.Output;
            int c = x.Shape[x.Shape.Length - 1], rows = x.ElementCount / c;
            {
                long[] mul = ln.Integers.Requant.Select(r => (long)r.Multiplier).ToArray(), shift = ln.Integers.Requant.Select(r => (long)r.Shift).ToArray();
                Static("long", $"{id}_Mul64", mul, I);
                // The rounding constant carries beta's fraction below one LSB (LayerNormIntegers.BiasFractions): one rounding.
                Static("long", $"{id}_Round64", shift.Select((v, i) => (v == 0 ? 0 : 1L << (int)(v - 1)) + ln.Integers.BiasFractions[i]), I);
                Static("long", $"{id}_Shift64", shift, I);
                Static("long", $"{id}_BiasZ64", ln.Integers.Biases.Select(b => b + y.Quant!.ZeroPoint), I);
                w.Line("// Integer LayerNorm with fused per-channel requantization, vectorized (QuantGenTransformerKernels.LayerNormRowsFast: the row factor without branchy loops).");
                w.Line(KernelLibrary.Call("QuantGenTransformerKernels", "LayerNormRowsFast", "x", I(rows), I(c), I(ln.Integers.VarianceOffset) + "L", I(ln.Integers.VarianceShift), I(IntLayerNorm.ChannelFactor(c)) + "L", $"ref MemoryMarshal.GetReference({id}_Mul64)", $"ref MemoryMarshal.GetReference({id}_Round64)", $"ref MemoryMarshal.GetReference({id}_Shift64)", $"ref MemoryMarshal.GetReference({id}_BiasZ64)", I(y.Type.MinValue), I(y.Type.MaxValue), "y") + ";");
            }
        }

        internal void EmitLayerNormScalar(SourceWriter w, GraphNode node)
        {
            var ln = (LayerNormLayer)node.Layer;
            string id = LayerId(node);
            TensorInfo x = node.Inputs[0], y = node.Output;
            int c = x.Shape[x.Shape.Length - 1], rows = x.ElementCount / c;
            string ty = CType(y.Type);
            Static("int", $"{id}_Mul", ln.Integers.Requant.Select(r => r.Multiplier), v => I(v));
            Static("byte", $"{id}_Shift", ln.Integers.Requant.Select(r => r.Shift), v => I(v));
            Static("long", $"{id}_Bias", ln.Integers.Biases.Select(b => b + y.Quant!.ZeroPoint), I);
            w.Line($"ReadOnlySpan<int> mul = {id}_Mul;");
            w.Line($"ReadOnlySpan<byte> shift = {id}_Shift;");
            w.Line($"ReadOnlySpan<long> bias = {id}_Bias; // beta / output scale + output zero point");
            bool fractions = ln.Integers.HasBiasFractions;
            if (fractions)
            {
                Static("long", $"{id}_BiasFraction", ln.Integers.BiasFractions, I);
                w.Line($"ReadOnlySpan<long> fraction = {id}_BiasFraction; // the rest of beta at each channel's shift, rounded once with the product");
            }

            w.Open($"for (int r = 0; r < {rows}; r++)");
            w.Line($"int o = r * {c};");
            w.Line("long s = 0, q = 0;");
            w.Open($"for (int i = 0; i < {c}; i++)");
            w.Line("long v = x[o + i];");
            w.Line("s += v;");
            w.Line("q += v * v;");
            w.Close();
            int k = ln.Integers.VarianceShift;
            w.Line(k == 0
                ? $"long variance = ({c}L * q) - (s * s) + {I(ln.Integers.VarianceOffset)}L; // C^2 (var + eps) in input units, exact"
                : $"long variance = ((({c}L * q) - (s * s)) << {I(k)}) + {I(ln.Integers.VarianceOffset)}L; // 2^{I(k)} C^2 (var + eps) in input units, exact");
            w.Line("long f = 0;");
            w.Line("int rs = 0;");
            w.Open("if (variance > 0)");
            w.Line("int a = QuantGenKernels.LayerNormAlign(variance);");
            w.Line($"f = QuantGenKernels.LayerNormFactor(variance, {I(IntLayerNorm.ChannelFactor(c))}L, a); // ~ 2^(60 - a) / sqrt(C variance)");
            w.Line(k == 0 ? "rs = 30 - a;" : $"rs = {I(30 - (k / 2))} - a;");
            if (k != 0)
            {
                w.Line("rs = rs < 0 ? 0 : rs; // only on constant rows, where every C x - S is 0");
            }
            w.Close();
            w.Open($"for (int i = 0; i < {c}; i++)");
            w.Line($"long norm = QuantGenKernels.RoundShift((({c}L * x[o + i]) - s) * f, rs); // (x - mean) / sqrt(var + eps) * 2^30 / sqrt(C), |norm| < 2^30");
            w.Line($"y[o + i] = ({ty})QuantGenKernels.Clamp(bias[i] + QuantGenKernels.RoundShift(norm * mul[i]{(fractions ? " + fraction[i]" : string.Empty)}, shift[i]), {I(y.Type.MinValue)}, {I(y.Type.MaxValue)});");
            w.Close();
            w.Close();
        }

        internal static void EmitTranspose(SourceWriter w, int[] shape, int[] perm, string type)
        {
            int rank = shape.Length;
            if (rank >= 2 && perm[rank - 1] == rank - 1 && shape[rank - 1] >= 8)
            {
                // The innermost axis stays innermost: move whole rows of it, a block copy of a constant size each (the JIT
                // unrolls it into a few vector moves; every offset is a product of the constant shape, inside both buffers).
                int inner = shape[rank - 1];
                int size = type switch { "sbyte" or "byte" => 1, "short" or "ushort" => 2, _ => 4 };
                var st = new int[rank];
                int acc = 1;
                for (int a = rank - 1; a >= 0; a--)
                {
                    st[a] = acc;
                    acc *= shape[a];
                }

                w.Line($"ref byte xb = ref Unsafe.As<{type}, byte>(ref MemoryMarshal.GetReference(x));");
                w.Line($"ref byte yb = ref Unsafe.As<{type}, byte>(ref MemoryMarshal.GetReference(y));");
                w.Line("int j = 0;");
                for (int a = 0; a < rank - 1; a++)
                {
                    w.Open($"for (int i{a} = 0; i{a} < {shape[perm[a]]}; i{a}++)");
                }

                w.Line($"Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref yb, j), ref Unsafe.Add(ref xb, {string.Join(" + ", Enumerable.Range(0, rank - 1).Select(a => $"i{a} * {st[perm[a]] * size}"))}), {inner * size});");
                w.Line($"j += {inner * size};");
                for (int a = 0; a < rank - 1; a++)
                {
                    w.Close();
                }

                return;
            }

            var strides = new int[rank];
            int s = 1;
            for (int a = rank - 1; a >= 0; a--)
            {
                strides[a] = s;
                s *= shape[a];
            }

            w.Line("int j = 0;");
            for (int a = 0; a < rank; a++)
            {
                w.Open($"for (int i{a} = 0; i{a} < {shape[perm[a]]}; i{a}++)");
            }

            w.Line($"y[j++] = x[{string.Join(" + ", Enumerable.Range(0, rank).Select(a => $"i{a} * {strides[perm[a]]}"))}];");
            for (int a = 0; a < rank; a++)
            {
                w.Close();
            }
        }
    }
}
