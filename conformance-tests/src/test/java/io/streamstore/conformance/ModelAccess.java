package io.streamstore.conformance;

import java.util.List;

/** Lets the kit's own test stores outside this package restore a {@link ReferenceModel} from their files. */
public final class ModelAccess
{
    private ModelAccess()
    {
    }

    public static void restore(final ReferenceModel model, final long lastSeq, final List<ReferenceModel.Msg> msgs)
    {
        model.restore(lastSeq, msgs);
    }
}
