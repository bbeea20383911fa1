using System;
using System.Collections.Generic;
using System.IO;

namespace QuantGen.Tests.Zoo
{
    /// <summary>
    /// Integer inputs (one int[] per model input, spec order) and the reference interpreter's outputs (every output one
    /// after the other) of one model, as the parent test computed them.
    /// </summary>
    public sealed class ZooVectors
    {
        public ZooVectors(string key, List<int[][]> inputs, List<int[]> expected)
        {
            Key = key;
            Inputs = inputs;
            Expected = expected;
        }

        public string Key { get; }

        public List<int[][]> Inputs { get; }

        public List<int[]> Expected { get; }

        /// <summary>Binary file: model count, then per model its key, the vector count and each (inputs, expected) pair (inputs: their count, then each).</summary>
        public static void Write(string path, IReadOnlyList<ZooVectors> all)
        {
            using var w = new BinaryWriter(File.Create(path));
            w.Write(all.Count);
            foreach (ZooVectors v in all)
            {
                w.Write(v.Key);
                w.Write(v.Inputs.Count);
                for (int i = 0; i < v.Inputs.Count; i++)
                {
                    w.Write(v.Inputs[i].Length);
                    foreach (int[] x in v.Inputs[i])
                    {
                        WriteInts(w, x);
                    }

                    WriteInts(w, v.Expected[i]);
                }
            }
        }

        public static List<ZooVectors> Read(string path)
        {
            using var r = new BinaryReader(File.OpenRead(path));
            int models = r.ReadInt32();
            var all = new List<ZooVectors>(models);
            for (int m = 0; m < models; m++)
            {
                string key = r.ReadString();
                int n = r.ReadInt32();
                var inputs = new List<int[][]>(n);
                var expected = new List<int[]>(n);
                for (int i = 0; i < n; i++)
                {
                    int tensors = r.ReadInt32();
                    if (tensors < 1 || tensors > 64)
                    {
                        throw new InvalidDataException("bad input count " + tensors);
                    }

                    var x = new int[tensors][];
                    for (int t = 0; t < tensors; t++)
                    {
                        x[t] = ReadInts(r);
                    }

                    inputs.Add(x);
                    expected.Add(ReadInts(r));
                }

                all.Add(new ZooVectors(key, inputs, expected));
            }

            return all;
        }

        private static void WriteInts(BinaryWriter w, int[] v)
        {
            w.Write(v.Length);
            foreach (int x in v)
            {
                w.Write(x);
            }
        }

        private static int[] ReadInts(BinaryReader r)
        {
            int n = r.ReadInt32();
            if (n < 0 || n > (1 << 26))
            {
                throw new InvalidDataException("bad vector length " + n);
            }

            var v = new int[n];
            for (int i = 0; i < n; i++)
            {
                v[i] = r.ReadInt32();
            }

            return v;
        }
    }
}
