using System.Numerics;

namespace QuantGen.Tests.Numerics
{
    /// <summary>Exact rational helpers on BigInteger, independent of the code under test.</summary>
    internal static class Exact
    {
        /// <summary>floor(a / b) for b != 0.</summary>
        public static BigInteger FloorDiv(BigInteger a, BigInteger b)
        {
            BigInteger q = BigInteger.DivRem(a, b, out BigInteger r);
            if (!r.IsZero && (r.Sign < 0) != (b.Sign < 0))
            {
                q -= 1;
            }

            return q;
        }

        /// <summary>a / b rounded to nearest, ties toward +infinity: floor((2a + b) / 2b) for b &gt; 0.</summary>
        public static BigInteger RoundHalfUp(BigInteger a, BigInteger b) => FloorDiv((2 * a) + b, 2 * b);

        public static BigInteger Pow2(int e) => BigInteger.One << e;
    }
}
