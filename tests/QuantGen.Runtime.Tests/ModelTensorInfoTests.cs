using System;
using System.Linq;
using Xunit;

namespace QuantGen.Tests
{
    /// <summary>The tensor descriptors of IQuantizedModel: kind, accepted integers, packed lengths.</summary>
    public class ModelTensorInfoTests
    {
        [Theory]
        [InlineData("int8", -128, 127)]
        [InlineData("uint8", 0, 255)]
        [InlineData("int4", -8, 7)]
        [InlineData("int16", -32768, 32767)]
        [InlineData("int32", -2147483648L, 2147483647L)]
        [InlineData("uint16", 0, 65535)]
        [InlineData("float32", long.MinValue, long.MaxValue)]
        public void TheShortConstructorDescribesAQuantizedTensorWithItsTypesLimits(string type, long min, long max)
        {
            var t = new ModelTensorInfo("x", new[] { 2, 3 }, type, 0.5, 1);
            Assert.Equal((ModelTensorKind.Quantized, min, max, 6), (t.Kind, t.Min, t.Max, t.Length));
        }

        [Fact]
        public void AnIndexInputCarriesItsIdRange()
        {
            var ids = new ModelTensorInfo("input_ids", ModelTensorKind.Index, new[] { 1, 16 }, "int32", 1, 0, 0, 30521);
            Assert.Equal((ModelTensorKind.Index, 0L, 30521L, 16), (ids.Kind, ids.Min, ids.Max, ids.Length));
            Assert.Equal("input_ids [1, 16] int32 ids", ids.ToString());
            Assert.Throws<ArgumentException>(() => new ModelTensorInfo("bad", ModelTensorKind.Quantized, new[] { 1 }, "int8", 1, 0, 5, 4));
        }

        [Fact]
        public void APackedSampleIsTheInputsOneAfterTheOther()
        {
            // What the interface's InputLength means for a model with several inputs: the sum of the inputs' lengths.
            var info = new ModelInfo(
                "two", "two.qmodel.json", "00",
                new[] { new ModelTensorInfo("ids", ModelTensorKind.Index, new[] { 4 }, "int32", 1, 0, 0, 9), new ModelTensorInfo("mask", new[] { 4 }, "int8", 1, 0) },
                new[] { new ModelTensorInfo("logits", new[] { 1, 2 }, "int8", 0.1, 0) },
                Array.Empty<LayerInfo>(),
                Array.Empty<string>());
            Assert.Equal(8, info.Inputs.Sum(t => t.Length));
            Assert.Equal(new[] { 4 }, info.InputShape);
            Assert.Equal("int32", info.InputType);
        }
    }
}
