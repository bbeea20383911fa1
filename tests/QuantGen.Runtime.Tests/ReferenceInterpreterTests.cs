using System;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests
{
    /// <summary>Small quantized graphs whose expected integers are worked out by hand in the comments.</summary>
    public class ReferenceInterpreterTests
    {
        private const string DenseSpec = """
        {
          "format": "quantgen", "version": 1, "name": "dense", "kind": "quantized", "weights": "test.safetensors",
          "inputs": [{ "name": "x", "shape": [2], "range": [-1, 1], "type": "int8", "scale": 0.01, "zeroPoint": 10 }],
          "outputs": ["y"],
          "initializers": {
            "w": { "type": "int8", "shape": [2, 2], "scales": [0.1, 0.1] },
            "b": { "type": "int32", "shape": [2], "scales": [0.001, 0.001] }
          },
          "activations": { "y": { "type": "int8", "scale": 0.5, "zeroPoint": -3 } },
          "layers": [
            { "name": "fc", "op": "Dense", "inputs": ["x"], "output": "y", "weight": "w", "bias": "b", "activation": "relu",
              "multipliers": [1073741824, 805306368], "shifts": [31, 30], "clamp": [-3, 127] }
          ]
        }
        """;

        [Fact]
        public void DenseMatchesHandComputation()
        {
            ModelGraph g = Fixtures.FromMemory(
                DenseSpec,
                TensorCodec.EncodeInts("w", ElementType.Int8, new[] { 2, 2 }, new[] { 3, -2, 1, 4 }),
                TensorCodec.EncodeInts("b", ElementType.Int32, new[] { 2 }, new[] { 7, -100 })).GetGraphOrThrow();
            var interpreter = new ReferenceInterpreter(g);

            // x - zp = [10, -5]. acc0 = 7 + 10*3 + (-5)(-2) = 47; 47 * 0.5 = 23.5 -> 24 (ties toward +inf); 24 - 3 = 21.
            // acc1 = -100 + 10*1 + (-5)*4 = -110; -110 * 0.75 = -82.5 -> -82; -82 - 3 = -85, clamped by relu to -3.
            Assert.Equal(new[] { 21, -3 }, interpreter.Run(new[] { 20, 5 }));

            // x - zp = [-138, 117]: acc0 = 7 - 414 - 234 = -641 -> -320.5 -> -320 - 3 = -323 -> clamp -3;
            // acc1 = -100 - 138 + 468 = 230 -> 172.5 -> 173 - 3 = 170 -> clamp 127.
            Assert.Equal(new[] { -3, 127 }, interpreter.Run(new[] { -128, 127 }));
        }

        [Fact]
        public void TransposeAveragePoolArgMaxMatchHandComputation()
        {
            const string spec = """
            {
              "format": "quantgen", "version": 1, "name": "pool", "kind": "quantized", "weights": "test.safetensors",
              "inputs": [{ "name": "x", "shape": [2, 3], "range": [0, 1], "type": "int8", "scale": 0.01, "zeroPoint": 0 }],
              "outputs": ["c"],
              "initializers": {},
              "activations": { "p": { "type": "int8", "scale": 0.01, "zeroPoint": 0 } },
              "layers": [
                { "name": "t", "op": "Transpose", "inputs": ["x"], "output": "xt", "perm": [1, 0] },
                { "name": "pool", "op": "AvgPool", "inputs": ["xt"], "output": "p", "axis": 0, "multiplier": 1431655765, "shift": 32 },
                { "name": "cls", "op": "ArgMax", "inputs": ["p"], "output": "c" }
              ]
            }
            """;
            ModelGraph g = Fixtures.FromMemory(spec).GetGraphOrThrow();
            var all = new ReferenceInterpreter(g).RunAll(new[] { 1, 2, 3, 4, 5, 6 });

            // [[1,2,3],[4,5,6]]^T = [[1,4],[2,5],[3,6]]; column sums [6, 15]; x 1431655765 / 2^32 (~1/3) rounded:
            // 6 -> floor(1.99999999953 + 0.5) = 2, 15 -> floor(4.99999999884 + 0.5) = 5; argmax [2, 5] = 1.
            Assert.Equal(new[] { 1, 4, 2, 5, 3, 6 }, all["xt"]);
            Assert.Equal(new[] { 2, 5 }, all["p"]);
            Assert.Equal(new[] { 1 }, all["c"]);
        }

        [Fact]
        public void MatMulAddReluMatchHandComputation()
        {
            const string spec = """
            {
              "format": "quantgen", "version": 1, "name": "mm", "kind": "quantized", "weights": "test.safetensors",
              "inputs": [{ "name": "x", "shape": [2, 2], "range": [-1, 1], "type": "int8", "scale": 0.01, "zeroPoint": 1 }],
              "outputs": ["r"],
              "initializers": { "k": { "type": "int8", "shape": [2], "scale": 0.02 } },
              "activations": {
                "m": { "type": "int8", "scale": 0.01, "zeroPoint": 0 },
                "s": { "type": "int8", "scale": 0.01, "zeroPoint": 5 }
              },
              "layers": [
                { "name": "mm", "op": "MatMul", "inputs": ["x", "x"], "output": "m", "multiplier": 1, "shift": 0 },
                { "name": "add", "op": "Add", "inputs": ["m", "k"], "output": "s",
                  "multiplierA": 1, "shiftA": 0, "multiplierB": 1073741824, "shiftB": 30 },
                { "name": "relu", "op": "Relu", "inputs": ["s"], "output": "r" }
              ]
            }
            """;
            ModelGraph g = Fixtures.FromMemory(spec, TensorCodec.EncodeInts("k", ElementType.Int8, new[] { 2 }, new[] { -20, 3 })).GetGraphOrThrow();
            var all = new ReferenceInterpreter(g).RunAll(new[] { 2, 3, 4, 5 });

            // x - zp = [[1,2],[3,4]]; x x = [[7,10],[15,22]]. Add: 5 + m + 1.0 * k (broadcast over rows):
            // [[5+7-20, 5+10+3],[5+15-20, 5+22+3]] = [[-8, 18],[0, 30]]; relu clamps at the zero point 5.
            Assert.Equal(new[] { 7, 10, 15, 22 }, all["m"]);
            Assert.Equal(new[] { -8, 18, 0, 30 }, all["s"]);
            Assert.Equal(new[] { 5, 18, 5, 30 }, all["r"]);
        }

        [Fact]
        public void RejectsWrongInputLengthAndOutOfTypeValues()
        {
            ModelGraph g = Fixtures.FromMemory(
                DenseSpec,
                TensorCodec.EncodeInts("w", ElementType.Int8, new[] { 2, 2 }, new[] { 3, -2, 1, 4 }),
                TensorCodec.EncodeInts("b", ElementType.Int32, new[] { 2 }, new[] { 7, -100 })).GetGraphOrThrow();
            var interpreter = new ReferenceInterpreter(g);
            Assert.Contains("takes 2 input elements", Assert.Throws<ArgumentException>(() => interpreter.Run(new[] { 1, 2, 3 })).Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentOutOfRangeException>(() => interpreter.Run(new[] { 1, 200 }));
        }

        [Fact]
        public void QuantizeBoundaryRoundsHalfUpAndSaturates()
        {
            const string spec = """
            {
              "format": "quantgen", "version": 1, "name": "q", "kind": "quantized", "weights": "test.safetensors",
              "inputs": [{ "name": "x", "shape": [3], "range": [-60, 50], "type": "int8", "scale": 0.5, "zeroPoint": 10 }],
              "outputs": ["r"], "initializers": {}, "activations": {},
              "layers": [{ "name": "relu", "op": "Relu", "inputs": ["x"], "output": "r" }]
            }
            """;
            var interpreter = new ReferenceInterpreter(Fixtures.FromMemory(spec).GetGraphOrThrow());

            // scale 0.5, zero point 10, ties toward +inf: 1.25 -> 2.5 -> 3 -> 13; 0.75 -> 1.5 -> 2 -> 12; -1.75 -> -3.5 -> -3 -> 7;
            // 100 -> 200 -> 210 saturates at 127; -100 -> -200 -> -190 saturates at -128.
            Assert.Equal(new[] { 13, 12, 7 }, interpreter.Quantize(new[] { 1.25f, 0.75f, -1.75f }));
            Assert.Equal(new[] { 127, -128, 10 }, interpreter.Quantize(new[] { 100f, -100f, 0f }));
        }

        [Fact]
        public void FloatModelsAreRefused() =>
            Assert.Throws<ArgumentException>(() => new ReferenceInterpreter(Fixtures.Load("digits_mlp.float.qmodel.json")));
    }
}
