using System.Linq;

namespace QuantGen.Hls.Plan
{
    /// <summary>
    /// The whole HLS project as decided by <see cref="HlsPlanner"/>: immutable, value-equal records, printed by the
    /// templates and nothing else (templates see the properties in snake_case: <c>model.io_stream</c>).
    /// <see cref="Multi"/>: the top function has several inputs or outputs, or an index (token id) input; the templates then
    /// print <see cref="InPorts"/> and <see cref="OutPorts"/> (one port each, spec order) instead of the single-port code,
    /// which stays as it was for every other model.
    /// </summary>
    public sealed record HlsModelPlan(
        string Name,
        string InPort,
        string OutPort,
        string Guard,
        string SpecFile,
        bool IoStream,
        string IoMode,
        string Part,
        string ClockPeriod,
        HlsTensor Input,
        HlsTensor Output,
        EquatableArray<HlsTensor> Tensors,
        EquatableArray<HlsTable> Tables,
        EquatableArray<HlsLayerPlan> Layers,
        EquatableArray<HlsArray> Activations,
        EquatableArray<HlsStream> Streams,
        HlsStreamLayout InLayout,
        HlsStreamLayout OutLayout,
        EquatableArray<HlsTypeDef> BeatTypes,
        EquatableArray<string> InputCopies,
        EquatableArray<string> Calls,
        HlsEstimates Estimates,
        EquatableArray<string> Labels,
        EquatableArray<string> ReadOrderWeights,
        bool Multi,
        EquatableArray<HlsPort> InPorts,
        EquatableArray<HlsPort> OutPorts)
    {
        /// <summary>The constant tensors, one weights/*.h header each (except those a folded Dense reads from a read-order ROM in parameters.h).</summary>
        public EquatableArray<HlsTensor> Weights => Tensors.Where(t => t.IsConstant && !ReadOrderWeights.Contains(t.Array)).ToEquatable();
    }

    /// <summary>
    /// One port of the top function, in spec order: its name, the tensor, the beat layout on the port (io_stream; io_parallel:
    /// flat), and where its golden vectors live (<see cref="DataFile"/> under tb_data/). An index input (token ids) has port
    /// type <see cref="PortType"/> = int32 and is clamped by <see cref="Clamp"/> to [0, <see cref="Last"/>] into
    /// <see cref="Target"/> (io_parallel) or <see cref="Copies"/> (io_stream, one stream per reader); a quantized input
    /// with several readers in io_stream is copied to <see cref="Copies"/>. An output port's <see cref="Clamp"/> names, in
    /// io_parallel, the function that copies <see cref="Target"/> to the port when a layer also reads that output (empty
    /// otherwise).
    /// </summary>
    public sealed record HlsPort(string Name, HlsTensor Tensor, HlsStreamLayout Layout, bool IsIndex, string PortType, long Last, string Clamp, string Target, EquatableArray<string> Copies, string DataFile);

    /// <summary>One tensor as the C++ code sees it: names, exact-width type, proven range and, for constants, the values.</summary>
    public sealed record HlsTensor(
        string Name,
        string NameJson,
        string Ident,
        string Array,
        string Type,
        string Cpp,
        string Element,
        string Shape,
        int Count,
        long Min,
        long Max,
        int Bits,
        string Kind,
        long ZeroPoint,
        string File,
        string Storage,
        EquatableArray<long> Values)
    {
        public bool Signed => Min < 0;

        public bool IsConstant => Kind == "initializer";
    }

    /// <summary>A per-layer constant table (requantization multipliers, shifts, zero points).</summary>
    public sealed record HlsTable(string Name, string Storage, string Comment, EquatableArray<long> Values)
    {
        public int Count => Values.Count;
    }

    /// <summary>A typedef of a layer intermediate: name, C++ type, and the proven range it holds.</summary>
    public sealed record HlsTypeDef(string Name, string Cpp, string Comment);

    /// <summary>A named array or stream of <see cref="Count"/> elements of <see cref="Type"/> (activations, FIFOs, kernel parameters).</summary>
    public sealed record HlsArray(string Name, string Type, int Count);

    /// <summary>One output of a layer: the kernel's parameter, and the streams it feeds in io_stream (one per reader, then the top output).</summary>
    /// <remarks><see cref="UramPack"/>: 0 when the kernel's array is in block RAM (or registers), else the array lives in
    /// URAM with that many elements per 72-bit word (<see cref="ResourceModel.UramPack"/>).</remarks>
    public sealed record HlsLayerOutput(string Name, string Type, int Count, EquatableArray<string> Streams, HlsStreamLayout Layout, int UramPack = 0);

    /// <summary>
    /// How a tensor travels on an io_stream FIFO. A beat carries <see cref="Lanes"/> elements: flat tensors one element per
    /// beat in row-major order (Lanes 1, Batch 1, Spatial = elements); NCHW feature maps one pixel per beat with all C
    /// channels packed (Lanes C, Spatial H W, beats in (n, h, w) order), which is what a line buffer consumes. Element
    /// (n, lane c, position s) is <c>(n Lanes + c) Spatial + s</c> of the row-major tensor in both cases.
    /// </summary>
    public sealed record HlsStreamLayout(int Batch, int Lanes, int Spatial, string ElementType, string BeatType, int ElementBits)
    {
        public int Beats => Batch * Spatial;

        public bool Packed => Lanes > 1;

        /// <summary>The C++ accessor of lane <c>l</c> of a beat variable: <c>.v[l]</c>, or nothing for a one-element beat.</summary>
        public string Lane => Packed ? ".v[l]" : string.Empty;

        public long BeatBits => (long)Lanes * ElementBits;

        public static HlsStreamLayout Flat(int count, string type, int bits) => new HlsStreamLayout(1, 1, count, type, type, bits);
    }

    /// <summary>An io_stream FIFO of the top function: its beat layout and the depth the planner chose (docs/hls.md, FIFO depths).</summary>
    public sealed record HlsStream(string Name, int Depth, string DepthWhy, HlsStreamLayout Layout);

    /// <summary>A stream a layer reads: the kernel parameter it fills (buffered layers) and the beat layout.</summary>
    /// <remarks><see cref="UramPack"/>: 0 when the buffer is in block RAM (or registers), else the buffer lives in URAM with
    /// that many elements per 72-bit word, filled one whole word at a time (<see cref="ResourceModel.UramPack"/>).</remarks>
    public sealed record HlsStreamPort(string Name, string Type, int Count, HlsStreamLayout Layout, int UramPack = 0)
    {
        /// <summary>URAM words the buffer fills (0 when not in URAM).</summary>
        public int UramWords => UramPack == 0 ? 0 : (Count + UramPack - 1) / UramPack;
    }

    /// <summary>
    /// One layer: what every kernel shares (names, signature, I/O, zero points, clamps, cost) and the operator's own
    /// record in <see cref="Kernel"/> (templates see it as <c>op</c>).
    /// </summary>
    public sealed record HlsLayerPlan(
        string Name,
        string LayerName,
        string Op,
        string Template,
        string Comment,
        string Signature,
        string KernelName,
        string StreamSignature,
        bool Native,
        EquatableArray<HlsStreamPort> StreamInputs,
        EquatableArray<HlsLayerOutput> Outputs,
        string X,
        string B,
        string Zx,
        string Zb,
        string Zo,
        string OutType,
        int OutCount,
        string OutLo,
        string OutHi,
        string TypeLo,
        string TypeHi,
        int Reuse,
        EquatableArray<HlsTypeDef> Types,
        HlsCost Cost,
        HlsResources Resources,
        string ReuseChoice,
        HlsKernel Kernel)
    {
        public long Multipliers => Cost.Multipliers;

        public int Dividers => Cost.Dividers;

        public int AccBits => Cost.AccBits;

        public long RomBits => Cost.RomBits;

        public long Latency => Cost.Latency;

        public string Formula => Cost.Formula;
    }

    /// <summary>The estimate of one layer (docs/hls.md): multipliers, dividers, accumulator width, ROM bits, latency and its formula.</summary>
    public sealed record HlsCost(long Multipliers, int Dividers, int AccBits, long RomBits, long Latency, string Formula, long BufferBits = 0)
    {
        public static HlsCost Simple(long multipliers, int dividers, long latency, string formula) =>
            new HlsCost(multipliers, dividers, 0, 0, latency, formula);
    }

    /// <summary>Model totals of the estimates.</summary>
    public sealed record HlsEstimates(
        long LatencyCycles, long IiCycles, long Multipliers, long RomBits, long ClockPeriodPs, long LatencyNs, long ThroughputPerS,
        HlsResources Resources, string Device, string Board, HlsResources Available, HlsResources Percent, string Warning);

    /// <summary>The operator-specific part of a layer plan; one derived record per lowering.</summary>
    public abstract record HlsKernel;
}
