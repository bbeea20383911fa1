using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Cpu;
using QuantGen.Numerics;
using QuantGen.Plan;

namespace QuantGen.Gpu
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
        private readonly CSharpTarget model;
        private readonly GpuPlan plan;
        private readonly ModelGraph graph;
        private readonly RangeReport ranges;
        private readonly string weightsHash;
        private readonly List<sbyte> w8 = new List<sbyte>();
        private readonly List<BlobSegment> w8Segments = new List<BlobSegment>();
        private readonly List<int> c32 = new List<int>();
        private readonly List<long> c64 = new List<long>();
        private readonly Dictionary<string, string> bufferOf = new Dictionary<string, string>(StringComparer.Ordinal);
        private readonly List<(string Field, string Type, int PerSample, string Tensor)> activations = new List<(string, string, int, string)>();
        private readonly SourceWriter kernels = new SourceWriter();
        private readonly List<string> kernelFields = new List<string>();
        private readonly List<string> loads = new List<string>();
        private readonly List<string> launches = new List<string>();

        public GpuEmitter(CSharpTarget model, GpuPlan plan, string weightsHash)
        {
            this.model = model;
            this.plan = plan;
            graph = plan.Model.Graph;
            ranges = plan.Model.Ranges;
            this.weightsHash = weightsHash;
        }

        /// <summary>Where the int8 weights buffer comes from (null: the base64 literal s_w8); see <see cref="BlobInitializer"/>.</summary>
        internal BlobInitializer? WeightsInitializer { get; set; }

        /// <summary>Bytes of constants this file keeps in string literals (after <see cref="Emit"/>).</summary>
        internal long LiteralBytes { get; private set; }

        internal static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

        internal static string L(long v) => v.ToString(CultureInfo.InvariantCulture) + "L";

        internal static string Shape(int[] s) => "[" + string.Join(", ", s) + "]";

        /// <summary>Text for an XML doc comment (consumers may build with documentation files and warnings as errors).</summary>
        internal static string Xml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

        internal static string CType(ElementType t) => CSharp.Type(t);

        /// <summary>The field of an activation: "_t_" + its unique C# name from the model plan.</summary>
        internal string Field(TensorInfo t) => "_t_" + plan.Model.Names.CSharpTensor(t.Name);

        internal RangeReport Ranges => ranges;

        /// <summary>round(expr * m / 2^s) with the project rule, specialized: one multiply, one add, one constant shift.</summary>
        internal static string Requant(string expr, Dyadic d) =>
            d.Shift == 0 ? $"({expr}) * {L(d.Multiplier)}" : $"((({expr}) * {L(d.Multiplier)} + {L(1L << (d.Shift - 1))}) >> {d.Shift})";

        public SourceFile Emit()
        {
            string hintBase = model.HintBase;
            foreach (TensorInfo input in graph.Inputs)
            {
                string inField = Field(input);
                bufferOf[input.Name] = inField;
                activations.Add((inField, CType(input.Type), input.ElementCount, input.Name));
            }

            foreach (GraphNode node in graph.Nodes)
            {
                EmitLayer(node);
            }

            return new SourceFile(hintBase + ".QuantGen.Gpu.g.cs", SourceWriter.ClassFile(model, $"ILGPU kernels and GPU session for model \"{graph.Name}\"", weightsHash, new[] { "System", "System.Buffers.Binary", "ILGPU", "ILGPU.Runtime", "QuantGen.Generated" }, SingleApi ? SessionMembers() : MultiSessionMembers()));
        }

        private string SessionMembers()
        {
            TensorInfo input = graph.Input, output = graph.Output;
            string tin = CType(input.Type), tout = CType(output.Type);
            IntRange inRange = ranges.Tensors[input.Name];
            int largest = activations.Max(a => a.PerSample);
            string inField = bufferOf[input.Name], outField = bufferOf[output.Name];
            string w8Source = PrepareConstants(out string? w8Initializer, out byte[] w8Bytes, out byte[] c32Bytes, out byte[] c64Bytes);
            var w = new SourceWriter();
            EmitSessionDoc(w);
            w.Line($"/// <summary>Elements of one input: {Shape(input.Shape)} {input.Type}.</summary>");
            w.Line($"public const int InputLength = {input.ElementCount};");
            w.Line($"/// <summary>Elements of one output: {Shape(output.Shape)} {output.Type}.</summary>");
            w.Line($"public const int OutputLength = {output.ElementCount};");
            w.Line("/// <summary>The input range the range analysis assumed; Infer rejects values outside it.</summary>");
            w.Line($"public const int InputMin = {I(inRange.Min)}, InputMax = {I(inRange.Max)};");
            w.Line($"/// <summary>The largest batch: every index of the largest tensor ({largest} elements per input) must fit an int.</summary>");
            w.Line($"public const int MaxBatchSize = {I(int.MaxValue / largest)};");
            w.Line();
            EmitStateAndConstructor(w, w8Source);
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
            Guarded(w, "InferCore(inputs, outputs, batchSize);");
            w.Close();
            w.Line();
            w.Open($"private void InferCore(ReadOnlySpan<{tin}> inputs, Span<{tout}> outputs, int batchSize)");
            EmitGrow(w);
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
            EmitDispose(w);
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
            EmitBuffersKernelsAndConstants(w, w8Initializer, w8Bytes, c32Bytes, c64Bytes);
            w.Close();
            return w.ToString();
        }

        private string PrepareConstants(out string? w8Initializer, out byte[] w8Bytes, out byte[] c32Bytes, out byte[] c64Bytes)
        {
            w8Bytes = w8.DefaultIfEmpty((sbyte)0).Select(v => unchecked((byte)v)).ToArray();
            c32Bytes = c32.DefaultIfEmpty(0).SelectMany(v => new[] { (byte)v, (byte)(v >> 8), (byte)(v >> 16), (byte)(v >> 24) }).ToArray();
            c64Bytes = c64.DefaultIfEmpty(0L).SelectMany(v => Enumerable.Range(0, 8).Select(b => (byte)(v >> (8 * b)))).ToArray();

            // Large int8 weights come from the embedded .safetensors resource the CPU code reads too (one resource per file).
            w8Initializer = WeightsInitializer?.Invoke(w8Bytes, w8Segments);
            string w8Source = w8Initializer ?? "Convert.FromBase64String(s_w8)";
            LiteralBytes = (w8Initializer == null ? w8Bytes.Length : 0) + c32Bytes.Length + c64Bytes.Length;
            return w8Source;
        }

        private void EmitSessionDoc(SourceWriter w)
        {
            w.Line("/// <summary>");
            w.Line($"/// The model on an ILGPU accelerator (CUDA, OpenCL or the CPU accelerator; one code path): {graph.Nodes.Count} layers as");
            w.Line("/// integer-only kernels, bit-exact with the reference interpreter. The constructor uploads the weights once and");
            w.Line("/// compiles the kernels; activation buffers are kept between calls and grow when a larger batch arrives;");
            w.Line("/// <see cref=\"Dispose\"/> releases every device buffer (the accelerator stays the caller's). Not thread-safe" + (model.ConcurrencyCheck ? ": an" : "."));
            if (model.ConcurrencyCheck)
            {
                w.Line("/// overlapping call on the same session throws InvalidOperationException.");
            }

            w.Line("/// </summary>");
            w.Open("public sealed partial class GpuSession : IDisposable");
        }

        private void EmitStateAndConstructor(SourceWriter w, string w8Source)
        {
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
            if (model.ConcurrencyCheck)
            {
                w.Line("private int _quantGenBusy; // 1 while a call runs: an overlapping call throws instead of sharing the device buffers");
            }
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
            w.Line($"byte[] bytes = {w8Source};");
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
        }

        /// <summary>InferCore's start: nothing for an empty batch; the activation buffers grow for a larger one.</summary>
        private static void EmitGrow(SourceWriter w)
        {
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
        }

        private static void EmitDispose(SourceWriter w)
        {
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
        }

        private void EmitBuffersKernelsAndConstants(SourceWriter w, string? w8Initializer, byte[] w8Bytes, byte[] c32Bytes, byte[] c64Bytes)
        {
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
            if (w8Initializer == null)
            {
                w.Line($"private const string s_w8 = \"{Convert.ToBase64String(w8Bytes)}\";");
            }

            w.Line($"private const string s_c32 = \"{Convert.ToBase64String(c32Bytes)}\";");
            w.Line($"private const string s_c64 = \"{Convert.ToBase64String(c64Bytes)}\";");
        }

        /// <summary>The session's busy flag around <paramref name="body"/> (nothing when the class opted out of the check).</summary>
        private void Guarded(SourceWriter w, params string[] body) => Guarded(model, w, body);

        internal static void Guarded(CSharpTarget model, SourceWriter w, params string[] body)
        {
            if (!model.ConcurrencyCheck)
            {
                foreach (string line in body)
                {
                    w.Line(line);
                }

                return;
            }

            w.Open("if (global::System.Threading.Interlocked.CompareExchange(ref _quantGenBusy, 1, 0) != 0)");
            w.Line($"global::QuantGen.Generation.ConcurrentUse.Throw(\"{model.Name}.GpuSession\");");
            w.Close();
            w.Open("try");
            foreach (string line in body)
            {
                w.Line(line);
            }

            w.Close();
            w.Open("finally");
            w.Line("global::System.Threading.Volatile.Write(ref _quantGenBusy, 0);");
            w.Close();
        }

        internal int AddW8(IEnumerable<int> values)
        {
            int offset = w8.Count;
            w8.AddRange(values.Select(v => (sbyte)v));
            if (values is int[] stored)
            {
                // Possibly an initializer as stored: the weights placement copies it from the resource instead of a literal.
                w8Segments.Add(new BlobSegment(BlobSegmentKind.Rows, offset, stored.Length, stored, 1, stored.Length, stored.Length));
            }

            return offset;
        }

        /// <summary>int8 weights [n][k] stored transposed, [k][n] (Dense: a warp's loads coalesce).</summary>
        internal int AddW8Transposed(int[] weights, int n, int k)
        {
            int offset = w8.Count;
            for (int idx = 0; idx < n * k; idx++)
            {
                w8.Add((sbyte)weights[((idx % n) * k) + (idx / n)]);
            }

            w8Segments.Add(new BlobSegment(BlobSegmentKind.Transposed, offset, n * k, weights, n, k, 0));
            return offset;
        }

        internal int AddC32(IEnumerable<int> values)
        {
            int offset = c32.Count;
            c32.AddRange(values);
            return offset;
        }

        internal int AddC64(IEnumerable<long> values)
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
            string id = plan.Model.Names.CSharpLayer(layer.Name);
            TensorInfo x = node.Inputs[0], y = node.Output;
            if (layer is ReshapeLayer)
            {
                bufferOf[y.Name] = bufferOf[x.Name];
                launches.Add($"// {layer.Name}: Reshape {Shape(x.Shape)} -> {Shape(y.Shape)} aliases {bufferOf[x.Name]} (no copy)");
                return;
            }

            var ps = new List<Param>();
            var data = node.Inputs.Where(t => t.Kind != TensorKind.Initializer).ToList();
            for (int i = 0; i < data.Count; i++)
            {
                ps.Add(new Param($"ArrayView<{CType(data[i].Type)}>", data.Count == 1 ? "x" : data.Count == 2 ? (i == 0 ? "a" : "b") : "x" + I(i), $"t.{bufferOf[data[i].Name]}.View"));
            }

            for (int j = 0; j < node.Outputs.Count; j++)
            {
                TensorInfo o = node.Outputs[j];
                string oField = Field(o);
                bufferOf[o.Name] = oField;
                activations.Add((oField, CType(o.Type), o.ElementCount, o.Name));
                ps.Add(new Param($"ArrayView<{CType(o.Type)}>", node.Outputs.Count == 1 ? "y" : "y" + I(j), $"t.{oField}.View"));
            }

            var body = new SourceWriter();
            var k = new GpuKernel(body, data);
            plan.Layer(node).Lowering.Emit(this, k, node);
            string threads = k.Threads;
            string what = k.What;
            bool useW8 = k.UseW8, useC32 = k.UseC32, useC64 = k.UseC64;
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
            kernels.Line($"/// Layer \"{Xml(layer.Name)}\": {layer.Op} {string.Join(" x ", node.Inputs.Select(t => Shape(t.Shape) + " " + t.Type))} -> {string.Join(", ", node.Outputs.Select(o => Shape(o.Shape) + " " + o.Type))}.");
            kernels.Line($"/// {Xml(what[0].ToString().ToUpperInvariant() + what.Substring(1))}; {threads} threads per input.");
            LayerRanges lr = plan.Model.Layer(node).Ranges;
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
