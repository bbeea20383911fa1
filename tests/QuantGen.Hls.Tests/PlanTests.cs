using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Hls;
using QuantGen.Hls.Lowerings;
using QuantGen.Hls.Plan;
using QuantGen.Model;
using QuantGen.Operators;
using QuantGen.Plan;
using Xunit;

namespace QuantGen.Tests.Hls
{
    /// <summary>The typed HLS plan: value-equal records, one lowering per operator, and a located diagnostic for an operator without one.</summary>
    public class PlanTests
    {
        private static (ModelGraph Graph, RangeReport Ranges) Load(string model)
        {
            ModelGraph graph = ModelLoader.Load(HlsFixture.ModelPath(model)).GetGraphOrThrow();
            var diagnostics = new List<ModelDiagnostic>();
            RangeReport ranges = RangeAnalysis.Analyze(graph, diagnostics)!;
            Assert.Empty(diagnostics);
            return (graph, ranges);
        }

        [Theory]
        [InlineData("digits_mlp")]
        [InlineData("digits_vit")]
        [InlineData("digits_cnn")]
        public void PlansAreValueEqualAndDependOnTheKnobs(string model)
        {
            (ModelGraph graph, RangeReport ranges) = Load(model);
            var d = new List<ModelDiagnostic>();
            HlsModelPlan a = HlsGenerator.Plan(graph, ranges, HlsFixture.Options(), d)!;
            HlsModelPlan b = HlsGenerator.Plan(graph, ranges, HlsFixture.Options(), d)!;
            Assert.Empty(d);
            Assert.NotSame(a, b);
            Assert.Equal(a, b);
            Assert.Equal(a.GetHashCode(), b.GetHashCode());
            HlsModelPlan stream = HlsGenerator.Plan(graph, ranges, HlsFixture.Options("io_stream"), d)!;
            Assert.NotEqual(a, stream);
            Assert.Equal(a.Tensors, stream.Tensors);   // the weights do not depend on the io mode
        }

        [Fact]
        public void EveryOperatorHasExactlyOneHlsLowering()
        {
            Assert.Empty(HlsLowering.Registry.Missing());
            Assert.All(LoweringRegistry<HlsLowering>.AllOperators, op => Assert.Equal(op, HlsLowering.Registry.Find(op)!.Op));
        }

        /// <summary>The registry's own test: remove one lowering and the model that uses it gets QG3007 at its layer, no exception.</summary>
        [Fact]
        public void AMissingLoweringIsALocatedQG3007()
        {
            (ModelGraph graph, RangeReport ranges) = Load("digits_mlp");
            var diagnostics = new List<ModelDiagnostic>();
            HlsModelPlan? plan = new HlsPlanner(ModelPlan.Create(graph, ranges), HlsFixture.Options(), diagnostics, HlsLowering.Registry.Without(OpKind.Dense)).Plan();
            Assert.Null(plan);
            Assert.Equal(3, diagnostics.Count);
            Assert.All(diagnostics, x =>
            {
                Assert.Equal(HlsErrors.UnsupportedModel, x.Id);
                Assert.Contains("operator Dense has no HLS implementation", x.Message);
                Assert.True(x.Line > 0);
                Assert.StartsWith("$.layers[", x.Place);
            });
        }
    }
}
