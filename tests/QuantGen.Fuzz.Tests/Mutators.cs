using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>Generic mutation helpers: interesting numbers and strings, byte-level edits.</summary>
    public static class Mutators
    {
        public static readonly long[] InterestingIntegers =
        {
            0, 1, -1, 2, 3, 7, 8, 15, 16, 127, 128, 255, 256, -128, -129, 32767, 32768, 65535, 65536,
            int.MaxValue, (long)int.MaxValue + 1, int.MinValue, (long)int.MinValue - 1, uint.MaxValue, (1L << 32) + 1,
            1L << 40, long.MaxValue, long.MinValue, 1 << 24, (1 << 28) + 1, 1000000,
        };

        public static readonly double[] InterestingDoubles =
        {
            0, -0.0, 1, -1, 0.5, 1e-30, 1e30, 1e308, -1e308, 5e-324, double.Epsilon, 3.4e38, 1e-45, 0.1, 2147483648.0, -2147483649.0,
        };

        public static readonly string[] InterestingStrings =
        {
            string.Empty, " ", "a", "qg_x", "x\ny", "x\u2028y", "x\u2029y", "x\u0085y", "\"", "\\", "x\"y\\z", "\0", "\u0001\u001f\u007f",
            "\ud800", "é", "名前", "../../etc/passwd", "/dev/zero", "con", "NaN", "Infinity", "-Infinity", "1e3", "0x10",
            "int8", "int32", "uint16", "float32", "int0", "int64", "Dense", "Softmax", "shiftmax", "ibert", "shiftgelu", "none", "relu", "relu6",
        };

        public static T Pick<T>(this Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];

        public static long InterestingInteger(Random rng) => rng.Next(4) == 0 ? rng.Next(-1000, 1000) : rng.Pick(InterestingIntegers);

        public static string RandomString(Random rng)
        {
            switch (rng.Next(5))
            {
                case 0:
                    return new string((char)rng.Next(0x20, 0x7F), rng.Next(1, 300));
                case 1:
                    return new string(Enumerable.Range(0, rng.Next(1, 40)).Select(_ => (char)rng.Next(0, 0x3000)).ToArray());
                default:
                    return rng.Pick(InterestingStrings);
            }
        }

        /// <summary>1 to 4 byte-level edits: flip, set, insert, delete, duplicate or zero a run, write an interesting value.</summary>
        public static byte[] MutateBytes(Random rng, byte[] input)
        {
            var b = new List<byte>(input);
            int edits = rng.Next(1, 5);
            for (int e = 0; e < edits; e++)
            {
                int at = b.Count == 0 ? 0 : rng.Next(b.Count);
                switch (rng.Next(7))
                {
                    case 0 when b.Count > 0:
                        b[at] ^= (byte)(1 << rng.Next(8));
                        break;
                    case 1 when b.Count > 0:
                        b[at] = (byte)rng.Next(256);
                        break;
                    case 2:
                        b.InsertRange(at, Enumerable.Range(0, rng.Next(1, 9)).Select(_ => (byte)rng.Next(256)));
                        break;
                    case 3 when b.Count > 0:
                        b.RemoveRange(at, Math.Min(b.Count - at, rng.Next(1, 17)));
                        break;
                    case 4 when b.Count > 0:
                        int len = Math.Min(b.Count - at, rng.Next(1, 64));
                        b.InsertRange(at, b.GetRange(at, len));
                        break;
                    case 5 when b.Count > 8:
                        byte[] v = BitConverter.GetBytes(InterestingInteger(rng));
                        for (int i = 0; i < 8 && at + i < b.Count; i++)
                        {
                            b[at + i] = v[i];
                        }

                        break;
                    default:
                        if (b.Count > 0)
                        {
                            b.RemoveRange(at, b.Count - at);   // truncate
                        }

                        break;
                }
            }

            return b.ToArray();
        }

        public static string Utf8(byte[] b) => Encoding.UTF8.GetString(b);
    }
}
