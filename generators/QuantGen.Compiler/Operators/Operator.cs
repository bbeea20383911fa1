using System;
using System.Collections.Generic;
using System.Reflection;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Operators
{
    /// <summary>The core stages an <see cref="Operator"/> defines; the registry test asks <see cref="Operator.Implements"/> for each.</summary>
    public enum CoreStage
    {
        /// <summary>Spec JSON: <see cref="Operator.Parse"/> and <see cref="Operator.Write"/>.</summary>
        Spec,

        /// <summary>Shape inference (and attribute initializers): <see cref="Operator.InferShapes"/>.</summary>
        Shape,

        /// <summary>Integer-parameter consistency of a quantized layer: <see cref="Operator.CheckQuantized"/>.</summary>
        QuantizationCheck,

        /// <summary>Interval rule of the range analysis: <see cref="Operator.Range"/>.</summary>
        Range,

        /// <summary>Integer semantics (the oracle): <see cref="Operator.Reference"/>.</summary>
        Reference,

        /// <summary>Float semantics (the trained model): <see cref="Operator.Float"/>.</summary>
        Float,

        /// <summary>Post-training quantization rule: <see cref="Operator.Quantize"/>.</summary>
        Ptq,
    }

    /// <summary>How a quantized layer's outputs get their quantization.</summary>
    public enum OutputQuantization
    {
        /// <summary>Each output is declared in "activations" (and PTQ writes it there).</summary>
        Declared,

        /// <summary>Every output keeps the first input's quantization (data movement, clamps); an "activations" entry, if any, must agree.</summary>
        Input,

        /// <summary>An int32 index at scale 1, zero point 0, in float and quantized models alike (ArgMax).</summary>
        Index,
    }

    /// <summary>
    /// One operator's definition in the compiler core, one sealed subclass per operator in Operators/&lt;Op&gt;/. The
    /// stages (spec parser and writer, graph builder, range analysis, reference and float interpreters, post-training
    /// quantizer) are loops that dispatch here through <see cref="OperatorRegistry.Core"/>. Every hook has a default that
    /// reports a located diagnostic (<see cref="ModelErrors.UnknownOperator"/>) rather than guessing; an operator
    /// implements a stage by overriding its hook(s), which <see cref="Implements"/> detects by reflection, so the registry
    /// test can list every operator x stage hole.
    /// </summary>
    public abstract class Operator : IOperatorLowering
    {
        private static readonly Dictionary<CoreStage, string[]> Hooks = new Dictionary<CoreStage, string[]>
        {
            [CoreStage.Spec] = new[] { nameof(Parse), nameof(Write) },
            [CoreStage.Shape] = new[] { nameof(InferShapes) },
            [CoreStage.QuantizationCheck] = new[] { nameof(CheckQuantized) },
            [CoreStage.Range] = new[] { nameof(Range) },
            [CoreStage.Reference] = new[] { nameof(Reference) },
            [CoreStage.Float] = new[] { nameof(Float) },
            [CoreStage.Ptq] = new[] { nameof(Quantize) },
        };

        public abstract OpKind Op { get; }

        /// <summary>The "op" string of the spec.</summary>
        public virtual string Name => Op.ToString();

        // ---- spec -------------------------------------------------------------------------------------------------

        /// <summary>The operator's own spec fields (the generic parser handles name, op, inputs, output(s), precision).</summary>
        public virtual IReadOnlyList<string> Fields => Array.Empty<string>();

        /// <summary>Fewest data inputs.</summary>
        public virtual int MinInputs => 1;

        /// <summary>Most data inputs (<see cref="int.MaxValue"/>: no limit).</summary>
        public virtual int MaxInputs => MinInputs;

        /// <summary>True when the layer lists its outputs in "outputs" (required), false for one "output".</summary>
        public virtual bool MultipleOutputs => false;

        /// <summary>True when a data input may be an initializer (a constant operand).</summary>
        public virtual bool AcceptsInitializerInputs => false;

        /// <summary>True when the operator reads an index (token id) model input; every other operator is refused one (QG1041).</summary>
        public virtual bool AcceptsIndexInputs => false;

        /// <summary>How a quantized layer's outputs are quantized (also whether PTQ declares them in "activations").</summary>
        public virtual OutputQuantization OutputQuantization => OutputQuantization.Declared;

        /// <summary>Creates the layer and reads the operator's own fields (report problems through <paramref name="r"/>).</summary>
        public virtual LayerSpec? Parse(LayerReader r)
        {
            r.ReportNoHook(this, "spec parser");
            return null;
        }

        /// <summary>Writes the operator's own fields, in a fixed order (after name, op, inputs, output(s)).</summary>
        public virtual void Write(LayerSpec layer, LayerWriter w) => throw new NotSupportedException($"operator {Name} has no spec writer (Operators/{Name})");

        // ---- graph -----------------------------------------------------------------------------------------------

        /// <summary>
        /// The output shapes, one per output (null after reporting through <paramref name="c"/>); binds the attribute
        /// initializers (<see cref="GraphContext.Weight"/>, <see cref="GraphContext.Bias"/>).
        /// </summary>
        public virtual int[][]? InferShapes(GraphContext c)
        {
            c.Fail($"operator {Name} has no shape inference in the core (Operators/{Name})", ModelErrors.UnknownOperator);
            return null;
        }

        /// <summary>Checks a quantized layer's integer parameters against its tensors; false after reporting.</summary>
        public virtual bool CheckQuantized(GraphContext c, GraphNode node) =>
            c.Reject($"operator {Name} has no quantization check in the core (Operators/{Name})", ModelErrors.UnknownOperator);

        /// <summary>Multiply-accumulates of one inference (0 unless the operator multiplies and accumulates).</summary>
        public virtual long Macs(GraphNode node) => 0;

        // ---- analysis and semantics -------------------------------------------------------------------------------

        /// <summary>The integer range of the outputs (before the clamp to each output's type) for every input in range.</summary>
        public virtual IntRange Range(RangeContext c)
        {
            c.Report($"operator {Name} has no range rule in the core (Operators/{Name})", ModelErrors.UnknownOperator);
            return new IntRange(0, 0);
        }

        /// <summary>Integer semantics: fills <paramref name="outputs"/> (allocated, one per output) from <paramref name="inputs"/>.</summary>
        public virtual void Reference(GraphNode node, int[][] inputs, int[][] outputs) =>
            throw new NotSupportedException($"operator {Name} has no integer semantics (Operators/{Name})");

        /// <summary>Float semantics: fills <paramref name="outputs"/> (allocated, one per output) from <paramref name="inputs"/>.</summary>
        public virtual void Float(GraphNode node, double[][] inputs, double[][] outputs) =>
            throw new NotSupportedException($"operator {Name} has no float semantics (Operators/{Name})");

        /// <summary>
        /// Post-training quantization: fills <paramref name="layer"/> (a float clone of the node's layer) with its integer
        /// parameters and returns each output's quantization (null after reporting through <paramref name="c"/>).
        /// </summary>
        public virtual TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            c.Report(ModelErrors.UnknownOperator, $"operator {Name} has no post-training quantization rule in the core (Operators/{Name})");
            return null;
        }

        /// <summary>True when this operator overrides every hook of <paramref name="stage"/>.</summary>
        public bool Implements(CoreStage stage)
        {
            foreach (string hook in Hooks[stage])
            {
                MethodInfo? m = GetType().GetMethod(hook, BindingFlags.Public | BindingFlags.Instance);
                if (m == null || m.DeclaringType == typeof(Operator))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Every stage this operator does not implement.</summary>
        public IReadOnlyList<CoreStage> MissingStages()
        {
            var missing = new List<CoreStage>();
            foreach (CoreStage s in (CoreStage[])Enum.GetValues(typeof(CoreStage)))
            {
                if (!Implements(s))
                {
                    missing.Add(s);
                }
            }

            return missing;
        }

        /// <summary>A single output shape as the one-element array <see cref="InferShapes"/> returns.</summary>
        protected static int[][]? One(int[]? shape) => shape == null ? null : new[] { shape };

        /// <summary>A single output quantization as the one-element array <see cref="Quantize"/> returns.</summary>
        protected static TensorQuant[] One(TensorQuant q) => new[] { q };

        protected static string Shape(int[] s) => "[" + string.Join(", ", s) + "]";
    }

    /// <summary>The core's operators, discovered once from this assembly.</summary>
    public static class OperatorRegistry
    {
        public static LoweringRegistry<Operator> Core { get; } = LoweringRegistry<Operator>.Discover("core", typeof(Operator).Assembly);

        private static readonly Dictionary<string, Operator> ByName = BuildByName();

        /// <summary>The operator a spec's "op" string names (ordinal), null when none.</summary>
        public static Operator? FindByName(string name) => ByName.TryGetValue(name, out Operator? o) ? o : null;

        /// <summary>
        /// A located diagnostic (<see cref="ModelErrors.UnknownOperator"/>) for every node of <paramref name="graph"/> whose
        /// operator has no core definition or does not implement <paramref name="stage"/>; empty when all do.
        /// </summary>
        public static List<ModelDiagnostic> Holes(ModelGraph graph, CoreStage stage, string what)
        {
            var holes = new List<ModelDiagnostic>();
            foreach (GraphNode node in graph.Nodes)
            {
                Operator? op = Core.Find(node.Layer.Op);
                if (op == null || !op.Implements(stage))
                {
                    SourcePlace p = node.Layer.Place;
                    holes.Add(new ModelDiagnostic(ModelErrors.UnknownOperator, $"layer \"{node.Layer.Name}\": operator {node.Layer.Op} has no {what} in the core (Operators/{node.Layer.Op})", graph.Spec.SourceFile, p.Path, p.Line, p.Column));
                }
            }

            return holes;
        }

        /// <summary>Throws a <see cref="ModelException"/> carrying <see cref="Holes"/> when there are any (the interpreters' constructors).</summary>
        public static void EnsureImplemented(ModelGraph graph, CoreStage stage, string what)
        {
            List<ModelDiagnostic> holes = Holes(graph, stage, what);
            if (holes.Count > 0)
            {
                throw new ModelException(holes);
            }
        }

        private static Dictionary<string, Operator> BuildByName()
        {
            var d = new Dictionary<string, Operator>(StringComparer.Ordinal);
            foreach (Operator o in Core.All)
            {
                d[o.Name] = o;
            }

            return d;
        }
    }
}
