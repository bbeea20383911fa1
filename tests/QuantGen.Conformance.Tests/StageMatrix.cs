using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using QuantGen.Cpu;
using QuantGen.Gpu;
using QuantGen.Hls.Lowerings;
using QuantGen.Model;
using QuantGen.Onnx.Import;
using QuantGen.Operators;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// Operator x stage: the core's stages (from <see cref="Operator.Implements"/>) and every backend's lowering registry.
    /// A hole is a cell without an implementation. The docs' matrix (docs/conformance.md) is printed from this.
    /// </summary>
    public sealed class StageMatrix
    {
        private readonly List<(string Stage, Func<OpKind, bool> Has)> stages = new List<(string, Func<OpKind, bool>)>();

        public StageMatrix(
            LoweringRegistry<Operator> core,
            LoweringRegistry<CpuLowering> cpu,
            LoweringRegistry<GpuLowering> gpu,
            LoweringRegistry<HlsLowering> hls,
            LoweringRegistry<OnnxImportRule> onnx)
        {
            foreach (CoreStage s in Enum.GetValues(typeof(CoreStage)).Cast<CoreStage>())
            {
                stages.Add((StageName(s), op => core.Find(op) is Operator o && o.Implements(s)));
            }

            stages.Add((cpu.Stage, op => cpu.Find(op) != null));
            stages.Add((gpu.Stage, op => gpu.Find(op) != null));
            stages.Add((hls.Stage, op => hls.Find(op) != null));
            this.onnx = onnx;
            stages.Add((onnx.Stage, op => onnx.Find(op) != null));
        }

        private readonly LoweringRegistry<OnnxImportRule> onnx;

        public static StageMatrix Current => new StageMatrix(OperatorRegistry.Core, CpuLowering.Registry, GpuLowering.Registry, HlsLowering.Registry, OnnxImportRegistry.Rules);

        public IReadOnlyList<string> Stages => stages.Select(s => s.Stage).ToList();

        /// <summary>"Op: stage" for every missing cell.</summary>
        public IReadOnlyList<string> Holes() =>
            (from op in LoweringRegistry<Operator>.AllOperators
             from s in stages
             where !s.Has(op)
             select op + ": " + s.Stage).ToList();

        /// <summary>The Markdown table: one row per operator, one column per stage, plus the corpus cases covering it.</summary>
        public string Markdown()
        {
            var sb = new StringBuilder();
            sb.Append("| operator | ").Append(string.Join(" | ", stages.Select(s => s.Stage))).Append(" | conformance cases |\n");
            sb.Append("|---|").Append(string.Concat(stages.Select(_ => "---|"))).Append("---|\n");
            foreach (OpKind op in LoweringRegistry<Operator>.AllOperators)
            {
                sb.Append("| ").Append(op).Append(" | ");
                sb.Append(string.Join(" | ", stages.Select(s => !s.Has(op) ? "**missing**" : s.Stage == onnx.Stage && onnx.Find(op)!.NotImportable != null ? "not importable" : "yes")));
                sb.Append(" | ").Append(string.Join(", ", Corpus.Cases.Where(c => c.Covers.Contains(op)).Select(c => "`" + c.Name + "`"))).Append(" |\n");
            }

            return sb.ToString();
        }

        private static string StageName(CoreStage s) => s switch
        {
            CoreStage.QuantizationCheck => "quant check",
            CoreStage.Ptq => "PTQ",
            _ => s.ToString().ToLowerInvariant(),
        };
    }
}
