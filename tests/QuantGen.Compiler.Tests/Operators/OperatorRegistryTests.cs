using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;
using QuantGen.Operators;
using Xunit;

namespace QuantGen.Tests.Operators
{
    /// <summary>The core's operator registry: every operator x every core stage, and a test that the check finds holes.</summary>
    public class OperatorRegistryTests
    {
        /// <summary>"Op: stage" for every operator without a definition or a stage it does not implement.</summary>
        public static List<string> Holes(LoweringRegistry<Operator> registry)
        {
            var holes = new List<string>();
            foreach (OpKind op in LoweringRegistry<Operator>.AllOperators)
            {
                Operator? def = registry.Find(op);
                if (def == null)
                {
                    holes.Add(op + ": no operator");
                    continue;
                }

                holes.AddRange(def.MissingStages().Select(s => op + ": " + s));
            }

            return holes;
        }

        [Fact]
        public void EveryOperatorImplementsEveryCoreStage()
        {
            Assert.Empty(Holes(OperatorRegistry.Core));
            Assert.Equal(LoweringRegistry<Operator>.AllOperators, OperatorRegistry.Core.All.Select(o => o.Op));
        }

        [Fact]
        public void EveryOperatorIsNamedByItsSpecString()
        {
            foreach (Operator op in OperatorRegistry.Core.All)
            {
                Assert.Same(op, OperatorRegistry.FindByName(op.Op.ToString()));
            }

            Assert.Equal(OperatorRegistry.Core.All.Select(o => o.Name).OrderBy(n => n, System.StringComparer.Ordinal), SpecParser.KnownOperators.OrderBy(n => n, System.StringComparer.Ordinal));
        }

        [Fact]
        public void TheCheckReportsAMissingOperator()
        {
            Assert.Equal(new[] { "Slice: no operator" }, Holes(OperatorRegistry.Core.Without(OpKind.Slice)));
            Assert.Equal(new[] { OpKind.Slice }, OperatorRegistry.Core.Without(OpKind.Slice).Missing());
        }

        [Fact]
        public void TheCheckReportsAMissingHook()
        {
            var registry = new LoweringRegistry<Operator>("core", OperatorRegistry.Core.All.Where(o => o.Op != OpKind.Split).Append(new SpecOnlySplit()));
            Assert.Equal(
                new[] { "Split: Shape", "Split: QuantizationCheck", "Split: Range", "Split: Reference", "Split: Float", "Split: Ptq" },
                Holes(registry));
            Assert.True(new SpecOnlySplit().Implements(CoreStage.Spec));
            Assert.False(new SpecOnlySplit().Implements(CoreStage.Reference));
        }

        [Fact]
        public void AnInheritedHookCounts()
        {
            // Dense and Conv2d take CheckQuantized and Quantize from WeightedOperator.
            Operator dense = OperatorRegistry.Core.Find(OpKind.Dense)!;
            Assert.IsAssignableFrom<WeightedOperator>(dense);
            Assert.True(dense.Implements(CoreStage.QuantizationCheck));
            Assert.True(dense.Implements(CoreStage.Ptq));
        }

        /// <summary>An operator that only knows its spec fields.</summary>
        private sealed class SpecOnlySplit : Operator
        {
            public override OpKind Op => OpKind.Split;

            public override LayerSpec? Parse(LayerReader r) => new SplitLayer();

            public override void Write(LayerSpec layer, LayerWriter w)
            {
            }
        }
    }
}
