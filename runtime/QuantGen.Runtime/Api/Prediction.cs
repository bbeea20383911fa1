using System;
using System.Globalization;

namespace QuantGen
{
    /// <summary>One class of a classifier's answer: its index in the output, its label from the model file and a confidence in [0, 1].</summary>
    public readonly struct Prediction : IEquatable<Prediction>
    {
        public Prediction(int index, string? label, float confidence)
        {
            Index = index;
            Label = label;
            Confidence = confidence;
        }

        /// <summary>The class: its position in the model's output.</summary>
        public int Index { get; }

        /// <summary>The class's label from the model file's <c>"labels"</c>; null when the file has none.</summary>
        public string? Label { get; }

        /// <summary>
        /// Softmax of the dequantized logits, or the model's own dequantized probability when its last layer is a Softmax
        /// (<see cref="IQuantizedClassifier.OutputsAreProbabilities"/>).
        /// </summary>
        public float Confidence { get; }

        /// <summary>Lets <c>var (label, confidence) = prediction;</c> read the class index and the confidence.</summary>
        public void Deconstruct(out int index, out float confidence)
        {
            index = Index;
            confidence = Confidence;
        }

        public bool Equals(Prediction other) => Index == other.Index && Label == other.Label && Confidence.Equals(other.Confidence);

        public override bool Equals(object? obj) => obj is Prediction p && Equals(p);

        public override int GetHashCode() => HashCode.Combine(Index, Label, Confidence);

        public static bool operator ==(Prediction left, Prediction right) => left.Equals(right);

        public static bool operator !=(Prediction left, Prediction right) => !left.Equals(right);

        public override string ToString() => (Label ?? Index.ToString(CultureInfo.InvariantCulture)) + " (" + Confidence.ToString("0.####", CultureInfo.InvariantCulture) + ")";
    }
}
