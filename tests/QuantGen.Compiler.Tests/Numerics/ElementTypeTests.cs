using System;
using CsCheck;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Numerics
{
    public class ElementTypeTests
    {
        [Fact]
        public void Ranges_And_Saturation_ForEveryWidth()
        {
            for (int bits = 2; bits <= 16; bits++)
            {
                CheckType(ElementType.Int(bits), -(1L << (bits - 1)), (1L << (bits - 1)) - 1, "int" + bits, true);
                CheckType(ElementType.UInt(bits), 0, (1L << bits) - 1, "uint" + bits, false);
            }

            CheckType(ElementType.Int32, int.MinValue, int.MaxValue, "int32", true);
            Assert.Equal(ElementType.Int(8), ElementType.Int8);
            Assert.Equal(ElementType.UInt(8), ElementType.UInt8);
            Assert.Equal(ElementType.Int(4), ElementType.Int4);
            Assert.Equal(ElementType.Int(16), ElementType.Int16);
            Assert.Equal(-128, ElementType.Int8.MinValue);
            Assert.Equal(127, ElementType.Int8.MaxValue);
            Assert.Equal(15, ElementType.UInt(4).MaxValue);
        }

        private static void CheckType(ElementType t, long min, long max, string name, bool signed)
        {
            Assert.Equal(min, t.MinValue);
            Assert.Equal(max, t.MaxValue);
            Assert.Equal(name, t.ToString());
            Assert.Equal(signed, t.IsSigned);
            Assert.False(t.IsFloat);
            Assert.True(ElementType.TryParse(name, out ElementType parsed));
            Assert.Equal(t, parsed);
            Assert.Equal(t.GetHashCode(), parsed.GetHashCode());
            Assert.Equal(min, t.Saturate(long.MinValue));
            Assert.Equal(max, t.Saturate(long.MaxValue));
            Assert.Equal(min, t.Saturate(min - 1));
            Assert.Equal(max, t.Saturate(max + 1));
            Assert.Equal(min, t.Saturate(min));
            Assert.Equal(max, t.Saturate(max));
            Gen.Long.Sample(v => Assert.Equal(Math.Min(Math.Max(v, min), max), t.Saturate(v)), iter: 2_000);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(0)]
        [InlineData(17)]
        [InlineData(31)]
        [InlineData(64)]
        public void Int_RejectsBadWidths(int bits) => Assert.Throws<ArgumentOutOfRangeException>(() => ElementType.Int(bits));

        [Theory]
        [InlineData(1)]
        [InlineData(17)]
        [InlineData(32)]
        public void UInt_RejectsBadWidths(int bits) => Assert.Throws<ArgumentOutOfRangeException>(() => ElementType.UInt(bits));

        [Theory]
        [InlineData(null)]
        [InlineData("")]
        [InlineData("int")]
        [InlineData("int1")]
        [InlineData("int17")]
        [InlineData("int08")]
        [InlineData("uint32")]
        [InlineData("INT8")]
        [InlineData(" int8")]
        [InlineData("float16")]
        [InlineData("int+8")]
        public void TryParse_RejectsUnknownNames(string? name)
        {
            Assert.False(ElementType.TryParse(name, out ElementType t));
            Assert.Equal(default, t);
        }

        [Fact]
        public void Float32_And_Default()
        {
            Assert.True(ElementType.TryParse("float32", out ElementType f));
            Assert.Equal(ElementType.Float32, f);
            Assert.True(f.IsFloat);
            Assert.Equal(32, f.Bits);
            Assert.NotEqual(ElementType.Int32, f);
            Assert.Throws<InvalidOperationException>(() => f.MinValue);
            Assert.Throws<InvalidOperationException>(() => f.Saturate(0));
            Assert.Equal("invalid", default(ElementType).ToString());
            Assert.Throws<InvalidOperationException>(() => default(ElementType).MaxValue);
            Assert.Throws<FormatException>(() => ElementType.Parse("int99"));
        }
    }
}
