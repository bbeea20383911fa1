using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Numerics;

namespace QuantGen.Model
{
    /// <summary>
    /// The integer parameters of one quantized layer: one immutable record type per operator, complete by construction
    /// (the constructor rejects a missing or inconsistent parameter). They exist only in the quantized phase: the
    /// quantized spec parser builds them after reading and checking the fields, post-training quantization builds them from
    /// calibration, and both attach them to the layer when it is made (<see cref="QuantizableLayer{TIntegers}.Integers"/>,
    /// an init-only property, or <see cref="LayerSpec.WithIntegers"/>, which copies). Nothing fills them in place.
    /// </summary>
    public abstract class LayerIntegers
    {
        /// <summary>A private copy of <paramref name="values"/> as a read-only list (null rejected; counts are checked against the graph).</summary>
        protected static IReadOnlyList<T> Frozen<T>(IEnumerable<T>? values, string name)
        {
            if (values == null)
            {
                throw new ArgumentNullException(name);
            }

            return new List<T>(values).AsReadOnly();
        }
    }

    /// <summary>
    /// A layer that carries <typeparamref name="TIntegers"/> once quantized. The float phase (import, PTQ input, float
    /// interpreter) never reads <see cref="Integers"/>; every layer of a quantized <c>ModelGraph</c> has them, because the
    /// graph builder rejects a quantized layer without them (and a float layer with them) before any later stage runs.
    /// </summary>
    public abstract class QuantizableLayer<TIntegers> : LayerSpec
        where TIntegers : LayerIntegers
    {
        private TIntegers? integers;

        protected QuantizableLayer(OpKind op)
            : base(op)
        {
        }

        /// <summary>
        /// The integer parameters of the quantized layer. Reading them from a float-phase layer is a programming error
        /// (an <see cref="InvalidOperationException"/>), never a user error: a validated quantized graph has them on every layer.
        /// </summary>
        public TIntegers Integers
        {
            get => integers ?? throw new InvalidOperationException($"layer \"{Name}\" ({Op}) is a float-phase layer: it has no integer parameters");
            init => integers = value ?? throw new ArgumentNullException(nameof(value));
        }

        /// <summary>The integer parameters, or null in the float phase (for code that serves both phases: the writer).</summary>
        public TIntegers? IntegersOrNull => integers;

        public override bool NeedsIntegers => true;

        public override LayerIntegers? IntegerParameters => integers;

        public override LayerSpec WithIntegers(LayerIntegers integers)
        {
            if (!(integers is TIntegers typed))
            {
                throw new ArgumentException($"layer \"{Name}\" ({Op}) takes {typeof(TIntegers).Name}, not {integers?.GetType().Name ?? "null"}", nameof(integers));
            }

            var copy = (QuantizableLayer<TIntegers>)CloneFloat();
            copy.integers = typed;
            return copy;
        }
    }

    /// <summary>Dense and Conv2d: one dyadic per output channel (input scale x weight scale / output scale), the fused activation as a clamp.</summary>
    public sealed class WeightedIntegers : LayerIntegers
    {
        public WeightedIntegers(IEnumerable<Dyadic> requant, ClampBounds clamp)
        {
            Requant = Frozen(requant, nameof(requant));
            Clamp = clamp;
        }

        /// <summary>One multiplier per output channel.</summary>
        public IReadOnlyList<Dyadic> Requant { get; }

        /// <summary>Integer output clamp (the fused activation in the output's integer domain).</summary>
        public ClampBounds Clamp { get; }
    }

    /// <summary>MatMul: alpha x S_a x S_b / S_out as one dyadic.</summary>
    public sealed class MatMulIntegers : LayerIntegers
    {
        public MatMulIntegers(Dyadic requant)
        {
            Requant = requant;
        }

        public Dyadic Requant { get; }
    }

    /// <summary>Add and Sub: each operand's scale over the output scale, applied at their common shift with one rounding (ResidualAdd).</summary>
    public sealed class AddIntegers : LayerIntegers
    {
        public AddIntegers(Dyadic requantA, Dyadic requantB)
        {
            RequantA = requantA;
            RequantB = requantB;
        }

        public Dyadic RequantA { get; }

        public Dyadic RequantB { get; }
    }

    /// <summary>Clip: the float bounds in the input's integer domain.</summary>
    public sealed class ClipIntegers : LayerIntegers
    {
        public ClipIntegers(long qMin, long qMax)
        {
            if (qMin > qMax)
            {
                throw new ArgumentException($"qmin {qMin} is greater than qmax {qMax}", nameof(qMin));
            }

            QMin = qMin;
            QMax = qMax;
        }

        public long QMin { get; }

        public long QMax { get; }
    }

    /// <summary>Softmax: the parameters of one method (Shiftmax or I-BERT's i-softmax); the method is the record's.</summary>
    public sealed class SoftmaxIntegers : LayerIntegers
    {
        private readonly ShiftmaxParams shiftmax;
        private readonly ISoftmaxParams ibert;
        private readonly SoftmaxTableParams? table;

        public SoftmaxIntegers(ShiftmaxParams shiftmax)
        {
            Method = SoftmaxMethod.Shiftmax;
            this.shiftmax = shiftmax;
            OutBits = shiftmax.OutBits;
        }

        public SoftmaxIntegers(ISoftmaxParams ibert)
        {
            Method = SoftmaxMethod.IBert;
            this.ibert = ibert;
            OutBits = ibert.OutBits;
        }

        public SoftmaxIntegers(SoftmaxTableParams table)
        {
            Method = SoftmaxMethod.Table;
            this.table = table ?? throw new ArgumentNullException(nameof(table));
            OutBits = 0;
        }

        public SoftmaxMethod Method { get; }

        /// <summary>Shiftmax's and i-softmax's fixed output width; 0 for the table method (its output quantization is free).</summary>
        public int OutBits { get; }

        /// <summary>The table softmax's parameters; only when <see cref="Method"/> is Table.</summary>
        public SoftmaxTableParams Table => Method == SoftmaxMethod.Table ? table! : throw WrongMethod("Table");

        /// <summary>Shiftmax's parameters; only when <see cref="Method"/> is Shiftmax.</summary>
        public ShiftmaxParams Shiftmax => Method == SoftmaxMethod.Shiftmax ? shiftmax : throw WrongMethod("Shiftmax");

        /// <summary>i-softmax's parameters; only when <see cref="Method"/> is IBert.</summary>
        public ISoftmaxParams IBert => Method == SoftmaxMethod.IBert ? ibert : throw WrongMethod("IBert");

        private InvalidOperationException WrongMethod(string asked) => new InvalidOperationException($"a {Method} softmax has no {asked} parameters");
    }

    /// <summary>Gelu: the parameters of one method (ShiftGELU or I-BERT's i-GELU) and the dyadic from the method's int32 output scale to the output's.</summary>
    public sealed class GeluIntegers : LayerIntegers
    {
        private readonly ShiftGeluParams shiftGelu;
        private readonly IGeluParams ibert;
        private readonly IReadOnlyList<int>? table;

        public GeluIntegers(ShiftGeluParams shiftGelu, Dyadic requant)
        {
            Method = GeluMethod.ShiftGelu;
            this.shiftGelu = shiftGelu;
            Requant = requant;
        }

        public GeluIntegers(IGeluParams ibert, Dyadic requant)
        {
            Method = GeluMethod.IBert;
            this.ibert = ibert;
            Requant = requant;
        }

        /// <summary>The table method: y = table[x - min(type_x)] (<see cref="Requant"/> is 1 and unused).</summary>
        public GeluIntegers(IEnumerable<int> table)
        {
            Method = GeluMethod.Table;
            this.table = Frozen(table, nameof(table));
            if (this.table.Count == 0)
            {
                throw new ArgumentException("the table is empty", nameof(table));
            }

            Requant = Dyadic.One;
        }

        public GeluMethod Method { get; }

        /// <summary>The table method's output integers, indexed by x - min(type_x); only when <see cref="Method"/> is Table.</summary>
        public IReadOnlyList<int> Table => Method == GeluMethod.Table ? table! : throw WrongMethod("Table");

        /// <summary>From the method's int32 output scale to the output tensor's scale.</summary>
        public Dyadic Requant { get; }

        /// <summary>ShiftGELU's parameters; only when <see cref="Method"/> is ShiftGelu.</summary>
        public ShiftGeluParams ShiftGelu => Method == GeluMethod.ShiftGelu ? shiftGelu : throw WrongMethod("ShiftGelu");

        /// <summary>i-GELU's parameters; only when <see cref="Method"/> is IBert.</summary>
        public IGeluParams IBert => Method == GeluMethod.IBert ? ibert : throw WrongMethod("IBert");

        private InvalidOperationException WrongMethod(string asked) => new InvalidOperationException($"a {Method} GELU has no {asked} parameters");
    }

    /// <summary>
    /// LayerNorm: per channel, gamma and the output scale folded into a dyadic, beta into an integer bias; epsilon folded
    /// into the integer variance as <see cref="VarianceOffset"/> = round(C^2 eps / S_x^2) (<see cref="IntLayerNorm.VarianceOffset(int, double, double, int)"/>).
    /// </summary>
    public sealed class LayerNormIntegers : LayerIntegers
    {
        public LayerNormIntegers(IEnumerable<Dyadic> requant, IEnumerable<long> biases, long varianceOffset, IEnumerable<long>? biasFractions = null, int varianceShift = 0)
        {
            if (varianceShift < 0 || varianceShift > IntLayerNorm.MaxVarianceShift || (varianceShift & 1) != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(varianceShift), varianceShift, "the variance shift must be even and in [0, 60]");
            }

            VarianceShift = varianceShift;
            Requant = Frozen(requant, nameof(requant));
            Biases = Frozen(biases, nameof(biases));
            if (Biases.Count != Requant.Count)
            {
                throw new ArgumentException($"{Requant.Count} multipliers but {Biases.Count} biases: LayerNorm needs one of each per channel", nameof(biases));
            }

            BiasFractions = biasFractions == null ? Frozen(new long[Requant.Count], nameof(biasFractions)) : Frozen(biasFractions, nameof(biasFractions));
            if (BiasFractions.Count != Requant.Count)
            {
                throw new ArgumentException($"{Requant.Count} multipliers but {BiasFractions.Count} bias fractions: LayerNorm needs one of each per channel", nameof(biasFractions));
            }

            for (int i = 0; i < Requant.Count; i++)
            {
                long half = Requant[i].Shift == 0 ? 0 : 1L << (Requant[i].Shift - 1);
                if (BiasFractions[i] < -half || BiasFractions[i] > half)
                {
                    throw new ArgumentOutOfRangeException(nameof(biasFractions), BiasFractions[i], $"channel {i}: a bias fraction must lie in [-2^(shift - 1), 2^(shift - 1)] (shift {Requant[i].Shift})");
                }
            }

            if (varianceOffset < 0 || varianceOffset > IntLayerNorm.MaxVarianceOffset)
            {
                throw new ArgumentOutOfRangeException(nameof(varianceOffset), varianceOffset, "the folded epsilon must lie in [0, 2^61]");
            }

            VarianceOffset = varianceOffset;
        }

        /// <summary>round(2^k C^2 eps / S_x^2): added to (C sum x^2 - (sum x)^2) 2^k before the square root.</summary>
        public long VarianceOffset { get; }

        /// <summary>k (even, 0 in files written before it): the variance sum's shift, epsilon's fractional bits below one LSB^2 C^2.</summary>
        public int VarianceShift { get; }

        public IReadOnlyList<Dyadic> Requant { get; }

        public IReadOnlyList<long> Biases { get; }

        /// <summary>
        /// The rest of beta / S_y below one output LSB, at each channel's shift (|f| &lt;= 2^(shift - 1)), added before the
        /// requantization's one rounding: y = zp + bias + RoundShift(norm m + f, shift). All zero in files written before it.
        /// </summary>
        public IReadOnlyList<long> BiasFractions { get; }

        /// <summary>Whether any channel carries a bias fraction (files and generated code mention them only then).</summary>
        public bool HasBiasFractions => BiasFractions.Any(f => f != 0);
    }

    /// <summary>AvgPool: S_in / (count x S_out) as one dyadic.</summary>
    public sealed class AvgPoolIntegers : LayerIntegers
    {
        public AvgPoolIntegers(Dyadic requant)
        {
            Requant = requant;
        }

        public Dyadic Requant { get; }
    }
}
