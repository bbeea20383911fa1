using System.Collections.Generic;
using QuantGen.Plan;

namespace QuantGen.Cpu
{
    /// <summary>What the CPU backend made of one model: its plan and files, or the layers it has no lowering for.</summary>
    public sealed class CpuOutput
    {
        internal CpuOutput(CpuPlan? plan, IReadOnlyList<SourceFile> files, IReadOnlyList<MissingLowering> missing)
        {
            Plan = plan;
            Files = files;
            Missing = missing;
        }

        public CpuPlan? Plan { get; }

        /// <summary>The class's files (the kernel library is separate: <see cref="KernelLibrary.CpuSources"/> of <see cref="CpuPlan.Library"/>).</summary>
        public IReadOnlyList<SourceFile> Files { get; }

        public IReadOnlyList<MissingLowering> Missing { get; }
    }

    /// <summary>The C# CPU backend: ModelPlan -> CpuPlan -> source text. Pure: same inputs, same text.</summary>
    public static class CpuBackend
    {
        public static CpuOutput Emit(CSharpTarget target, ModelPlan model, string weightsHash) => Emit(target, model, weightsHash, CpuLowering.Registry);

        public static CpuOutput Emit(CSharpTarget target, ModelPlan model, string weightsHash, QuantGen.Operators.LoweringRegistry<CpuLowering> registry) =>
            Emit(target, model, weightsHash, registry, null);

        /// <summary><paramref name="blobInitializer"/>: where the weight blob comes from (null: a base64 literal).</summary>
        public static CpuOutput Emit(CSharpTarget target, ModelPlan model, string weightsHash, QuantGen.Operators.LoweringRegistry<CpuLowering> registry, BlobInitializer? blobInitializer)
        {
            var missing = new List<MissingLowering>();
            CpuPlan? plan = CpuPlan.Create(model, registry, missing);
            if (plan == null)
            {
                return new CpuOutput(null, new SourceFile[0], missing);
            }

            return new CpuOutput(plan, new List<SourceFile>(new CpuEmitter(target, plan, weightsHash) { BlobInitializer = blobInitializer }.Emit()), missing);
        }
    }
}
