using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Generators
{
    /// <summary>
    /// Validated quantized graph -> ILGPU kernels plus a GPU session, nested in the model class as
    /// <c>GpuSession</c>. Mirrors <see cref="CpuEmitter"/>: one kernel per layer named after it, shapes, zero points
    /// and per-tensor dyadics as literals, per-channel constants and weights in three device buffers (int8 weights,
    /// int32 and int64 constants) uploaded once, at literal offsets. One thread per output element (Dense, MatMul,
    /// element-wise operators, AvgPool, Transpose) or per row (Softmax, LayerNorm, ArgMax); requantization is fused
    /// into the producing kernel, Reshape is a free alias of its input buffer. Emitted only when the compilation
    /// references ILGPU.
    /// </summary>
    internal sealed partial class GpuEmitter
    {
        private readonly ClassModel model;
        private readonly ModelGraph graph;
        private readonly RangeReport ranges;
        private readonly string weightsHash;
        private readonly List<sbyte> w8 = new List<sbyte>();
        private readonly List<int> c32 = new List<int>();
        private readonly List<long> c64 = new List<long>();
        private readonly Dictionary<string, string> bufferOf = new Dictionary<string, string>(StringComparer.Ordinal);
        private readonly List<(string Field, string Type, int PerSample, string Tensor)> activations = new List<(string, string, int, string)>();
        private readonly SourceWriter kernels = new SourceWriter();
        private readonly List<string> kernelFields = new List<string>();
        private readonly List<string> loads = new List<string>();
        private readonly List<string> launches = new List<string>();

        public GpuEmitter(ClassModel model, ModelGraph graph, RangeReport ranges, string weightsHash)
        {
            this.model = model;
            this.graph = graph;
            this.ranges = ranges;
            this.weightsHash = weightsHash;
        }

        private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

        private static string L(long v) => v.ToString(CultureInfo.InvariantCulture) + "L";

        private static string Shape(int[] s) => "[" + string.Join(", ", s) + "]";

        /// <summary>Text for an XML doc comment (consumers may build with documentation files and warnings as errors).</summary>
        private static string Xml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

        private static string CType(ElementType t) => CpuEmitter.CType(t);

        private static string Id(string name) => CpuEmitter.Id(name);

        /// <summary>round(expr * m / 2^s) with the project rule, specialized: one multiply, one add, one constant shift.</summary>
        private static string Requant(string expr, Dyadic d) =>
            d.Shift == 0 ? $"({expr}) * {L(d.Multiplier)}" : $"((({expr}) * {L(d.Multiplier)} + {L(1L << (d.Shift - 1))}) >> {d.Shift})";

        public GeneratedFile Emit()
        {
            string hintBase = (model.Namespace != null ? model.Namespace + "." : string.Empty) + string.Concat(model.ContainingTypes.Select(t => t.Split(' ').Last() + ".")) + model.Name;
            TensorInfo input = graph.Input;
            string inField = "_t_" + Id(input.Name);
            bufferOf[input.Name] = inField;
            activations.Add((inField, CType(input.Type), input.ElementCount, input.Name));
            foreach (GraphNode node in graph.Nodes)
            {
                EmitLayer(node);
            }

            return new GeneratedFile(hintBase + ".QuantGen.Gpu.g.cs", SourceWriter.ClassFile(model, $"ILGPU kernels and GPU session for model \"{graph.Name}\"", weightsHash, new[] { "System", "System.Buffers.Binary", "ILGPU", "ILGPU.Runtime", "QuantGen.Generated" }, SessionMembers()));
        }

        private string SessionMembers()
        {
            TensorInfo input = graph.Input, output = graph.Output;
            string tin = CType(input.Type), tout = CType(output.Type);
            IntRange inRange = ranges.Tensors[input.Name];
            int largest = activations.Max(a => a.PerSample);
            string inField = bufferOf[input.Name], outField = bufferOf[output.Name];
            var w = new SourceWriter();
            w.Line("/// <summary>");
            w.Line($"/// The model on an ILGPU accelerator (CUDA, OpenCL or the CPU accelerator; one code path): {graph.Nodes.Count} layers as");
            w.Line("/// integer-only kernels, bit-exact with the reference interpreter. The constructor uploads the weights once and");
            w.Line("/// compiles the kernels; activation buffers are kept between calls and grow when a larger batch arrives;");
            w.Line("/// <see cref=\"Dispose\"/> releases every device buffer (the accelerator stays the caller's). Not thread-safe.");
            w.Line("/// </summary>");
            w.Open("public sealed class GpuSession : IDisposable");
            w.Line($"/// <summary>Elements of one input: {Shape(input.Shape)} {input.Type}.</summary>");
            w.Line($"public const int InputLength = {input.ElementCount};");
            w.Line($"/// <summary>Elements of one output: {Shape(output.Shape)} {output.Type}.</summary>");
            w.Line($"public const int OutputLength = {output.ElementCount};");
            w.Line("/// <summary>The input range the range analysis assumed; Infer rejects values outside it.</summary>");
            w.Line($"public const int InputMin = {I(inRange.Min)}, InputMax = {I(inRange.Max)};");
            w.Line($"/// <summary>The largest batch: every index of the largest tensor ({largest} elements per input) must fit an int.</summary>");
            w.Line($"public const int MaxBatchSize = {I(int.MaxValue / largest)};");
            w.Line();
            w.Line("private readonly Accelerator accelerator;");
            w.Line("private readonly MemoryBuffer1D<sbyte, Stride1D.Dense> _w8;");
            w.Line("private readonly MemoryBuffer1D<int, Stride1D.Dense> _c32;");
            w.Line("private readonly MemoryBuffer1D<long, Stride1D.Dense> _c64;");
            foreach (string f in kernelFields)
            {
                w.Line(f);
            }

            w.Line("private Activations act;");
            w.Line("private bool disposed;");
            w.Line();
            w.Line("/// <summary>Uploads the weights to <paramref name=\"accelerator\"/>, compiles the kernels and allocates buffers for <paramref name=\"initialBatchSize\"/> inputs.</summary>");
            w.Line("/// <exception cref=\"ArgumentNullException\"><paramref name=\"accelerator\"/> is null.</exception>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\"><paramref name=\"initialBatchSize\"/> is not in [1, MaxBatchSize].</exception>");
            w.Open("public GpuSession(Accelerator accelerator, int initialBatchSize = 1)");
            w.Line("if (accelerator == null) throw new ArgumentNullException(nameof(accelerator));");
            w.Line("if (initialBatchSize < 1 || initialBatchSize > MaxBatchSize) throw new ArgumentOutOfRangeException(nameof(initialBatchSize), initialBatchSize, $\"the initial batch size must be in [1, {MaxBatchSize}]\");");
            w.Line("this.accelerator = accelerator;");
            w.Line("MemoryBuffer1D<sbyte, Stride1D.Dense>? w8 = null;");
            w.Line("MemoryBuffer1D<int, Stride1D.Dense>? c32 = null;");
            w.Line("MemoryBuffer1D<long, Stride1D.Dense>? c64 = null;");
            w.Open("try");
            w.Line("byte[] bytes = Convert.FromBase64String(s_w8);");
            w.Line("var w8Host = new sbyte[bytes.Length];");
            w.Line("Buffer.BlockCopy(bytes, 0, w8Host, 0, bytes.Length);");
            w.Line("w8 = accelerator.Allocate1D(w8Host);");
            w.Line("bytes = Convert.FromBase64String(s_c32);");
            w.Line("var c32Host = new int[bytes.Length / 4];");
            w.Open("for (int i = 0; i < c32Host.Length; i++)");
            w.Line("c32Host[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i * 4));");
            w.Close();
            w.Line("c32 = accelerator.Allocate1D(c32Host);");
            w.Line("bytes = Convert.FromBase64String(s_c64);");
            w.Line("var c64Host = new long[bytes.Length / 8];");
            w.Open("for (int i = 0; i < c64Host.Length; i++)");
            w.Line("c64Host[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * 8));");
            w.Close();
            w.Line("c64 = accelerator.Allocate1D(c64Host);");
            w.Line("act = new Activations(accelerator, initialBatchSize);");
            w.Close();
            w.Open("catch");
            w.Line("w8?.Dispose();");
            w.Line("c32?.Dispose();");
            w.Line("c64?.Dispose();");
            w.Line("throw;");
            w.Close();
            w.Line("_w8 = w8;");
            w.Line("_c32 = c32;");
            w.Line("_c64 = c64;");
            foreach (string l in loads)
            {
                w.Line(l);
            }

            w.Close();
            w.Line();
            w.Line("/// <summary>The accelerator the session runs on (owned by the caller).</summary>");
            w.Line("public Accelerator Accelerator => accelerator;");
            w.Line();
            w.Line("/// <summary>How many inputs the device buffers hold now; a larger batch grows them.</summary>");
            w.Line("public int Capacity => disposed ? 0 : act.Capacity;");
            w.Line();
            w.Line("/// <summary>");
            w.Line($"/// Runs <paramref name=\"batchSize\"/> inputs ({input.Type} {Shape(input.Shape)} each, one after the other) and writes their");
            w.Line($"/// {output.Type} {Shape(output.Shape)} outputs, bit-exact with the reference interpreter and the generated CPU path.");
            w.Line("/// </summary>");
            w.Line("/// <exception cref=\"ObjectDisposedException\">The session was disposed.</exception>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\"><paramref name=\"batchSize\"/> is negative or above MaxBatchSize.</exception>");
            w.Line("/// <exception cref=\"ArgumentException\">Wrong lengths, or an input value outside [InputMin, InputMax].</exception>");
            w.Open($"public void Infer(ReadOnlySpan<{tin}> inputs, Span<{tout}> outputs, int batchSize)");
            w.Line("if (disposed) throw new ObjectDisposedException(nameof(GpuSession), \"the GPU session was disposed\");");
            w.Line("if (batchSize < 0 || batchSize > MaxBatchSize) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $\"the batch size must be in [0, {MaxBatchSize}]\");");
            w.Line("if (inputs.Length != (long)batchSize * InputLength) throw new ArgumentException($\"expected {batchSize} x {InputLength} input elements, got {inputs.Length}\", nameof(inputs));");
            w.Line("if (outputs.Length != (long)batchSize * OutputLength) throw new ArgumentException($\"expected room for {batchSize} x {OutputLength} output elements, got {outputs.Length}\", nameof(outputs));");
            w.Line("CheckInput(inputs);");
            w.Open("if (batchSize == 0)");
            w.Line("return;");
            w.Close();
            w.Open("if (batchSize > act.Capacity)");
            w.Line("int grown = (int)Math.Max(batchSize, Math.Min(2L * act.Capacity, MaxBatchSize));");
            w.Line("act.Dispose();");
            w.Line("act = new Activations(accelerator, grown);");
            w.Close();
            w.Line("int n = batchSize;");
            w.Line("Activations t = act;");
            w.Line($"t.{inField}.View.SubView(0, (long)n * InputLength).CopyFromCPU(accelerator.DefaultStream, inputs);");
            foreach (string l in launches)
            {
                w.Line(l);
            }

            w.Line($"t.{outField}.View.SubView(0, (long)n * OutputLength).CopyToCPU(accelerator.DefaultStream, outputs);");
            w.Line("accelerator.DefaultStream.Synchronize();");
            w.Close();
            w.Line();
            w.Line("/// <summary>Runs one input; same contract as the batched overload.</summary>");
            w.Line($"public void Infer(ReadOnlySpan<{tin}> input, Span<{tout}> output) => Infer(input, output, 1);");
            w.Line();
            w.Line("/// <summary>Releases every device buffer of the session. Idempotent.</summary>");
            w.Open("public void Dispose()");
            w.Open("if (disposed)");
            w.Line("return;");
            w.Close();
            w.Line("disposed = true;");
            w.Line("act.Dispose();");
            w.Line("_w8.Dispose();");
            w.Line("_c32.Dispose();");
            w.Line("_c64.Dispose();");
            w.Close();
            w.Line();
            w.Open($"private static void CheckInput(ReadOnlySpan<{tin}> input)");
            if (inRange.Min > input.Type.MinValue || inRange.Max < input.Type.MaxValue)
            {
                w.Open("for (int i = 0; i < input.Length; i++)");
                w.Line("if (input[i] < InputMin || input[i] > InputMax) throw new ArgumentException($\"input[{i}] = {input[i]} is outside the declared input range [{InputMin}, {InputMax}]\", nameof(input));");
                w.Close();
            }
            else
            {
                w.Line("// every value of the input type lies in the declared input range");
            }

            w.Close();
            w.Line();
            w.Line("/// <summary>The activation buffers, one per tensor (a Reshape shares its input's), for Capacity inputs.</summary>");
            w.Open("private sealed class Activations : IDisposable");
            w.Line("public readonly int Capacity;");
            foreach ((string field, string type, int _, string tensor) in activations)
            {
                w.Line($"public readonly MemoryBuffer1D<{type}, Stride1D.Dense> {field}; // \"{tensor}\"");
            }

            w.Line();
            w.Open("public Activations(Accelerator accelerator, int capacity)");
            w.Line("Capacity = capacity;");
            w.Line("var made = new System.Collections.Generic.List<IDisposable>();");
            w.Open("try");
            foreach ((string field, string type, int perSample, string _) in activations)
            {
                w.Line($"{field} = accelerator.Allocate1D<{type}>((long)capacity * {perSample});");
                w.Line($"made.Add({field});");
            }

            w.Close();
            w.Open("catch");
            w.Open("foreach (IDisposable d in made)");
            w.Line("d.Dispose();");
            w.Close();
            w.Line("throw;");
            w.Close();
            w.Close();
            w.Line();
            w.Open("public void Dispose()");
            foreach ((string field, string _, int _, string _) in activations)
            {
                w.Line($"{field}.Dispose();");
            }

            w.Close();
            w.Close();
            w.Line();
            foreach (string line in kernels.ToString().TrimEnd('\n').Split('\n'))
            {
                w.Line(line);
            }

            w.Line("// Constants of all layers, little-endian: int8 weights, int32 constants (weights wider than int8, multipliers,");
            w.Line("// shifts, constant Add operands), int64 constants (folded Dense biases, LayerNorm biases).");
            w.Line($"private const string s_w8 = \"{Convert.ToBase64String(w8.DefaultIfEmpty((sbyte)0).Select(v => unchecked((byte)v)).ToArray())}\";");
            w.Line($"private const string s_c32 = \"{Convert.ToBase64String(c32.DefaultIfEmpty(0).SelectMany(v => new[] { (byte)v, (byte)(v >> 8), (byte)(v >> 16), (byte)(v >> 24) }).ToArray())}\";");
            w.Line($"private const string s_c64 = \"{Convert.ToBase64String(c64.DefaultIfEmpty(0L).SelectMany(v => Enumerable.Range(0, 8).Select(b => (byte)(v >> (8 * b)))).ToArray())}\";");
            w.Close();
            return w.ToString();
        }

        private int AddW8(IEnumerable<int> values)
        {
            int offset = w8.Count;
            w8.AddRange(values.Select(v => (sbyte)v));
            return offset;
        }

        private int AddC32(IEnumerable<int> values)
        {
            int offset = c32.Count;
            c32.AddRange(values);
            return offset;
        }

        private int AddC64(IEnumerable<long> values)
        {
            int offset = c64.Count;
            c64.AddRange(values);
            return offset;
        }

        /// <summary>A kernel parameter: its ILGPU type, its name in the kernel and the argument the launch passes.</summary>
        private sealed class Param
        {
            public Param(string type, string name, string argument)
            {
                Type = type;
                Name = name;
                Argument = argument;
            }

            public string Type { get; }

            public string Name { get; }

            public string Argument { get; }
        }

        private void EmitLayer(GraphNode node)
        {
            LayerSpec layer = node.Layer;
            string id = Id(layer.Name);
            TensorInfo x = node.Inputs[0], y = node.Output;
            if (layer is ReshapeLayer)
            {
                bufferOf[y.Name] = bufferOf[x.Name];
                launches.Add($"// {layer.Name}: Reshape {Shape(x.Shape)} -> {Shape(y.Shape)} aliases {bufferOf[x.Name]} (no copy)");
                return;
            }

            string yField = "_t_" + Id(y.Name);
            bufferOf[y.Name] = yField;
            activations.Add((yField, CType(y.Type), y.ElementCount, y.Name));
            var data = node.Inputs.Where(t => t.Kind != TensorKind.Initializer).ToList();
            var ps = new List<Param>();
            for (int i = 0; i < data.Count; i++)
            {
                ps.Add(new Param($"ArrayView<{CType(data[i].Type)}>", data.Count == 1 ? "x" : i == 0 ? "a" : "b", $"t.{bufferOf[data[i].Name]}.View"));
            }

            ps.Add(new Param($"ArrayView<{CType(y.Type)}>", "y", $"t.{yField}.View"));
            var body = new SourceWriter();
            string threads;
            string what;
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string lo = L(y.Type.MinValue), hi = L(y.Type.MaxValue), ty = CType(y.Type);
            bool useW8 = false, useC32 = false, useC64 = false;
            switch (layer)
            {
                case DenseLayer d:
                {
                    TensorInfo wt = node.Weight!;
                    int n = wt.Shape[0], k = wt.Shape[1];
                    int[] weights = wt.IntData!;
                    int[] bias = node.Bias?.IntData ?? new int[n];
                    IntRange xr = ranges.Tensors[x.Name];
                    long xAbs = Math.Max(Math.Abs(xr.Min), Math.Abs(xr.Max));
                    long bound = 0;
                    var folded = new long[n];
                    for (int o = 0; o < n; o++)
                    {
                        long sum = 0, abs = 0;
                        for (int j = 0; j < k; j++)
                        {
                            sum += weights[o * k + j];
                            abs += Math.Abs((long)weights[o * k + j]);
                        }

                        folded[o] = bias[o] - (zx * sum);
                        bound = Math.Max(bound, abs * xAbs);
                    }

                    // Weights stored transposed, [K, N]: the threads of a warp (consecutive o) read consecutive addresses at each j.
                    bool narrow = wt.Type.IsSigned && wt.Type.Bits <= 8;
                    int[] transposed = Enumerable.Range(0, n * k).Select(idx => weights[(idx % n) * k + (idx / n)]).ToArray();
                    int wOff = narrow ? AddW8(transposed) : AddC32(transposed);
                    int bOff = AddC64(folded);
                    int mOff = AddC32(d.Requant!.Select(r => r.Multiplier));
                    int sOff = AddC32(d.Requant!.Select(r => r.Shift));
                    useW8 = narrow;
                    useC32 = true;
                    useC64 = true;
                    string wv = narrow ? "w8" : "c32";
                    bool int32 = bound <= int.MaxValue;
                    string acc = int32 ? "int" : "long";
                    threads = I(y.ElementCount);
                    what = $"one thread per output element, weights transposed to [K, N] so a warp's loads coalesce; {(int32 ? $"int32 dot product (|sum x w| <= {bound} < 2^31, proven from the input range and the weights)" : $"int64 dot product (|sum x w| <= {bound} needs more than 31 bits)")}; zero-point correction folded into the int64 bias; requantization and clamp fused";
                    body.Line("int i = index;");
                    body.Line($"int o = i % {n};");
                    body.Line($"int xo = (i / {n}) * {k};");
                    body.Line($"int wo = {wOff} + o;");
                    body.Line($"{acc} dot = 0;");
                    body.Open($"for (int j = 0; j < {k}; j++)");
                    body.Line(int32 ? $"dot += x[xo + j] * {wv}[wo + j * {n}];" : $"dot += (long)x[xo + j] * {wv}[wo + j * {n}];");
                    body.Close();
                    body.Line($"long acc = c64[{bOff} + o] + dot;");
                    body.Line($"y[i] = ({ty})QuantGenGpuKernels.Clamp({L(zo)} + QuantGenGpuKernels.RoundShift(acc * c32[{mOff} + o], c32[{sOff} + o]), {L(d.Clamp![0])}, {L(d.Clamp[1])});");
                    break;
                }

                case MatMulLayer m:
                {
                    TensorInfo a = node.Inputs[0], b = node.Inputs[1];
                    int[] sa = a.Shape, sb = b.Shape;
                    int rowsA = sa[sa.Length - 2], k = sa[sa.Length - 1], cols = sb[sb.Length - 1];
                    long za = a.Quant!.ZeroPoint, zb = b.Quant!.ZeroPoint;
                    IntRange ra = ranges.Tensors[a.Name], rb = ranges.Tensors[b.Name];
                    long amax = Math.Max(Math.Abs(ra.Min - za), Math.Abs(ra.Max - za)), bmax = Math.Max(Math.Abs(rb.Min - zb), Math.Abs(rb.Max - zb));
                    long bound = amax * bmax * k;
                    bool int32 = bound <= int.MaxValue;
                    string acc = int32 ? "int" : "long";
                    threads = I(y.ElementCount);
                    what = $"one thread per output element, weights transposed to [K, N] so a warp's loads coalesce; {(int32 ? $"int32 accumulation (|a - za| <= {amax}, |b - zb| <= {bmax}, K = {k}: |acc| <= {bound} < 2^31)" : $"int64 accumulation (|acc| <= {bound} needs more than 31 bits)")}; requantization and clamp fused";
                    body.Line("int i = index;");
                    body.Line($"int j = i % {cols};");
                    body.Line($"int row = i / {cols};");
                    body.Line($"int ao = row * {k};");
                    body.Line($"int bo = (row / {rowsA}) * {k * cols} + j;");
                    body.Line($"{acc} sum = 0;");
                    body.Open($"for (int t = 0; t < {k}; t++)");
                    body.Line(int32
                        ? $"sum += (a[ao + t] - {I(za)}) * (b[bo + t * {cols}] - {I(zb)});"
                        : $"sum += ((long)a[ao + t] - {L(za)}) * ((long)b[bo + t * {cols}] - {L(zb)});");
                    body.Close();
                    body.Line("long acc = sum;");
                    body.Line($"y[i] = ({ty})QuantGenGpuKernels.Clamp({L(zo)} + {Requant("acc", m.Requant!.Value)}, {lo}, {hi});");
                    break;
                }

                case AddLayer add:
                {
                    TensorInfo a = node.Inputs[0], b = node.Inputs[1];
                    int e = y.ElementCount;
                    bool perSample = node.Inputs.Any(t => t.ElementCount != e);
                    threads = I(e);
                    what = "one thread per output element; each branch rescaled to the output scale separately (HAWQ-V3), then summed and clamped" +
                           (node.Inputs.Any(t => t.Kind == TensorKind.Initializer) ? "; the constant operand is broadcast from the int32 constants" : string.Empty);
                    body.Line("int i = index;");
                    if (perSample)
                    {
                        body.Line($"int s = i / {e};");
                        body.Line($"int l = i - s * {e};");
                    }

                    string Operand(TensorInfo t, string name)
                    {
                        if (t.Kind == TensorKind.Initializer)
                        {
                            useC32 = true;
                            int off = AddC32(t.IntData!);
                            return t.ElementCount == e ? $"c32[{off} + l]" : $"c32[{off} + l % {t.ElementCount}]";
                        }

                        return t.ElementCount == e ? $"{name}[i]" : $"{name}[s * {t.ElementCount} + l % {t.ElementCount}]";
                    }

                    string an = Operand(a, data.Count == 1 ? "x" : "a");
                    string bn = Operand(b, data.Count == 1 ? "x" : "b");
                    if (!perSample && node.Inputs.Any(t => t.Kind == TensorKind.Initializer))
                    {
                        body.Line($"int l = i % {e};");
                    }

                    body.Line($"long va = {Requant($"(long){an} - {L(a.Quant!.ZeroPoint)}", add.RequantA!.Value)};");
                    body.Line($"long vb = {Requant($"(long){bn} - {L(b.Quant!.ZeroPoint)}", add.RequantB!.Value)};");
                    body.Line($"y[i] = ({ty})QuantGenGpuKernels.Clamp({L(zo)} + va + vb, {lo}, {hi});");
                    break;
                }

                case ReluLayer _:
                    threads = I(y.ElementCount);
                    what = "element-wise; ReLU in the quantized domain is max(x, zero point)";
                    body.Line("int i = index;");
                    body.Line($"y[i] = x[i] < {I(zx)} ? ({ty}){I(zx)} : x[i];");
                    break;
                case ClipLayer c:
                    threads = I(y.ElementCount);
                    what = "element-wise integer clamp";
                    body.Line("int i = index;");
                    body.Line($"y[i] = ({ty})QuantGenGpuKernels.Clamp(x[i], {L(c.QMin!.Value)}, {L(c.QMax!.Value)});");
                    break;
                case SoftmaxLayer s:
                {
                    int len = x.Shape[x.Shape.Length - 1];
                    threads = I(x.ElementCount / len);
                    body.Line($"int o = index * {len};");
                    body.Line("long max = x[o];");
                    body.Open($"for (int i = 1; i < {len}; i++)");
                    body.Line("if (x[o + i] > max) max = x[o + i];");
                    body.Close();
                    body.Line("long sum = 0;");
                    if (s.Method == SoftmaxMethod.Shiftmax)
                    {
                        ShiftmaxParams p = s.Shiftmax!.Value;
                        what = "one thread per row (max, saturating sum, output: three passes, ShiftExp recomputed instead of stored); the zero point cancels in x - max";
                        body.Open($"for (int i = 0; i < {len}; i++)");
                        body.Line($"sum += QuantGenGpuKernels.ShiftExp(x[o + i] - max, {p.X0}, {p.N});");
                        body.Line("if (sum > 2147483647L) sum = 2147483647L;");
                        body.Close();
                        body.Line("long f = 2147483647L / sum;");
                        body.Open($"for (int i = 0; i < {len}; i++)");
                        body.Line($"y[o + i] = ({ty})((QuantGenGpuKernels.ShiftExp(x[o + i] - max, {p.X0}, {p.N}) * f) >> {32 - p.OutBits});");
                        body.Close();
                    }
                    else
                    {
                        ISoftmaxParams p = s.IBert!.Value;
                        long top = (1L << p.OutBits) - 1;
                        what = "one thread per row; I-BERT i-softmax: one division into 2^62 per row, rounded, saturated at 2^outBits - 1";
                        string exp = $"QuantGenGpuKernels.IExp(x[o + i] - max, {p.Exp.QLn2}, {p.Exp.QB}, {p.Exp.QC}, {p.Exp.Shift})";
                        body.Open($"for (int i = 0; i < {len}; i++)");
                        body.Line($"sum += {exp};");
                        body.Close();
                        body.Line("long f = 4611686018427387904L / sum;");
                        body.Open($"for (int i = 0; i < {len}; i++)");
                        body.Line($"long v = {Requant(exp + " * f", new Dyadic(1, 62 - p.OutBits))};");
                        body.Line($"y[o + i] = ({ty})(v > {L(top)} ? {L(top)} : v);");
                        body.Close();
                    }

                    break;
                }

                case GeluLayer g:
                {
                    threads = I(y.ElementCount);
                    body.Line("int i = index;");
                    body.Line($"long v = (long)x[i] - {L(zx)};");
                    if (g.Method == GeluMethod.ShiftGelu)
                    {
                        what = "element-wise ShiftGELU (m = max(x, 0) per element, QuantGen's semantics), requantization fused";
                        body.Line($"long raw = QuantGenGpuKernels.ShiftGelu(v, {g.ShiftGelu!.Value.X0}, {g.ShiftGelu.Value.N});");
                    }
                    else
                    {
                        what = "element-wise I-BERT i-GELU, requantization fused (the negative output scale is folded into the multiplier)";
                        body.Line($"long raw = QuantGenGpuKernels.IGelu(v, {g.IBert!.Value.QB}, {g.IBert.Value.QC}, {g.IBert.Value.QOne});");
                    }

                    body.Line($"y[i] = ({ty})QuantGenGpuKernels.Clamp({L(zo)} + {Requant("raw", g.Requant!.Value)}, {lo}, {hi});");
                    break;
                }

                case LayerNormLayer ln:
                {
                    int c = x.Shape[x.Shape.Length - 1];
                    threads = I(x.ElementCount / c);
                    int mOff = AddC32(ln.Requant!.Select(r => r.Multiplier));
                    int sOff = AddC32(ln.Requant!.Select(r => r.Shift));
                    int bOff = AddC64(ln.Biases!.Select(b => b + zo));
                    useC32 = true;
                    useC64 = true;
                    what = "one thread per row: rounded mean, variance sum, exact isqrt, then the per-channel requantization (gamma and the output scale) with beta and the output zero point as an int64 bias";
                    body.Line($"int o = index * {c};");
                    body.Line("long sum = 0;");
                    body.Open($"for (int i = 0; i < {c}; i++)");
                    body.Line("sum += x[o + i];");
                    body.Close();
                    body.Line($"long mean = QuantGenGpuKernels.RoundDiv(sum, {c});");
                    body.Line("long variance = 0;");
                    body.Open($"for (int i = 0; i < {c}; i++)");
                    body.Line("long d = x[o + i] - mean;");
                    body.Line("variance += d * d;");
                    body.Close();
                    body.Line("long k = (long)QuantGenGpuKernels.Isqrt((ulong)variance);");
                    body.Line("long f = k == 0 ? 0 : 2147483647L / k;");
                    body.Open($"for (int i = 0; i < {c}; i++)");
                    body.Line("long norm = ((x[o + i] - mean) * f) >> 1; // floor((x - mean) * f / 2), |norm| <= 2^30");
                    body.Line($"y[o + i] = ({ty})QuantGenGpuKernels.Clamp(c64[{bOff} + i] + QuantGenGpuKernels.RoundShift(norm * c32[{mOff} + i], c32[{sOff} + i]), {lo}, {hi});");
                    body.Close();
                    break;
                }

                case AvgPoolLayer p:
                {
                    int[] shape = x.Shape;
                    int inner = shape.Skip(p.Axis + 1).Aggregate(1, (acc, v) => acc * v), count = shape[p.Axis];
                    threads = I(y.ElementCount);
                    what = $"one thread per output element: sum over the {count} pooled values, 1 / {count} folded into the dyadic";
                    body.Line("int i = index;");
                    body.Line($"int inner = i % {inner};");
                    body.Line($"int xo = (i / {inner}) * {count * inner} + inner;");
                    body.Line("long sum = 0;");
                    body.Open($"for (int t = 0; t < {count}; t++)");
                    body.Line($"sum += x[xo + t * {inner}] - {L(zx)};");
                    body.Close();
                    body.Line($"y[i] = ({ty})QuantGenGpuKernels.Clamp({L(zo)} + {Requant("sum", p.Requant!.Value)}, {lo}, {hi});");
                    break;
                }

                case TransposeLayer t:
                {
                    int[] shape = x.Shape, perm = t.Perm;
                    int rank = shape.Length, e = x.ElementCount;
                    var strides = new int[rank];
                    int st = 1;
                    for (int a = rank - 1; a >= 0; a--)
                    {
                        strides[a] = st;
                        st *= shape[a];
                    }

                    threads = I(e);
                    what = $"one thread per output element (perm [{string.Join(", ", perm)}]), gathering from the input";
                    body.Line("int i = index;");
                    body.Line($"int s = i / {e};");
                    body.Line($"int l = i - s * {e};");
                    body.Line($"int src = s * {e};");
                    for (int a = rank - 1; a >= 0; a--)
                    {
                        int dim = shape[perm[a]];
                        if (a > 0)
                        {
                            body.Line($"src += (l % {dim}) * {strides[perm[a]]};");
                            body.Line($"l /= {dim};");
                        }
                        else
                        {
                            body.Line($"src += l * {strides[perm[a]]};");
                        }
                    }

                    body.Line("y[i] = x[src];");
                    break;
                }

                case ArgMaxLayer _:
                {
                    int len = x.Shape[x.Shape.Length - 1];
                    threads = I(y.ElementCount);
                    what = "one thread per row: index of the first maximum";
                    body.Line($"int o = index * {len};");
                    body.Line("int best = 0;");
                    body.Open($"for (int j = 1; j < {len}; j++)");
                    body.Line("if (x[o + j] > x[o + best]) best = j;");
                    body.Close();
                    body.Line("y[index] = best;");
                    break;
                }

                case Conv2dLayer cv:
                    (threads, what) = EmitConv2d(body, node, cv, ref useW8, ref useC32);
                    break;
                case MaxPool2dLayer mp:
                    (threads, what) = EmitMaxPool2d(body, node, mp);
                    break;
                default:
                    throw new NotSupportedException("no GPU emission for " + layer.Op);
            }

            if (useW8)
            {
                ps.Add(new Param("ArrayView<sbyte>", "w8", "_w8.View"));
            }

            if (useC32)
            {
                ps.Add(new Param("ArrayView<int>", "c32", "_c32.View"));
            }

            if (useC64)
            {
                ps.Add(new Param("ArrayView<long>", "c64", "_c64.View"));
            }

            string types = string.Join(", ", new[] { "Index1D" }.Concat(ps.Select(p => p.Type)));
            kernelFields.Add($"private readonly Action<{types}> _k_{id};");
            loads.Add($"_k_{id} = accelerator.LoadAutoGroupedStreamKernel<{types}>(Kernel_{id});");
            launches.Add($"_k_{id}(n * {threads}, {string.Join(", ", ps.Select(p => p.Argument))});");
            kernels.Line("/// <summary>");
            kernels.Line($"/// Layer \"{layer.Name}\": {layer.Op} {string.Join(" x ", node.Inputs.Select(t => Shape(t.Shape) + " " + t.Type))} -> {Shape(y.Shape)} {y.Type}.");
            kernels.Line($"/// {Xml(what[0].ToString().ToUpperInvariant() + what.Substring(1))}; {threads} threads per input.");
            LayerRanges lr = ranges.Layers.First(r => r.Layer == layer.Name);
            foreach (KeyValuePair<string, IntRange> kv in lr.Intermediates)
            {
                kernels.Line($"/// Proven range of {kv.Key}: {kv.Value} ({kv.Value.Bits} bits).");
            }

            kernels.Line("/// </summary>");
            kernels.Open($"private static void Kernel_{id}(Index1D index, {string.Join(", ", ps.Select(p => p.Type + " " + p.Name))})");
            foreach (string line in body.ToString().TrimEnd('\n').Split('\n'))
            {
                kernels.Line(line);
            }

            kernels.Close();
            kernels.Line();
        }
    }
}
